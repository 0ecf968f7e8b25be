INSERT INTO ledger_differences (
    client_key, period_end, ledger, line_no, kind, invoice_number, party_name, vouchers, ledger_ore, booked_ore,
    difference_ore, explanation
) VALUES (
    :client_key, :period_end, :ledger, :line_no, :kind, :invoice_number, :party_name, :vouchers, :ledger_ore,
    :booked_ore, :difference_ore, :explanation
);
