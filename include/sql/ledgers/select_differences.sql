SELECT kind, invoice_number, party_name, vouchers, ledger_ore, booked_ore, difference_ore, explanation
FROM ledger_differences
WHERE client_key = :client_key AND period_end = :period_end AND ledger = :ledger
ORDER BY line_no;
