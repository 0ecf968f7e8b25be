-- One ledger's open items at a balance date, in invoice order, for the appendix.
SELECT invoice_number, external_invoice_number, party_number, party_name, invoice_date, due_date, total_ore,
       paid_by_period_end_ore, open_ore, paid_after_period_end_ore, last_payment_after_date,
       payments_after_period_end, days_overdue, ageing_bucket
FROM ledger_open_items
WHERE client_key = :client_key AND period_end = :period_end AND ledger = :ledger
ORDER BY invoice_number;
