INSERT INTO ledger_open_items (
    client_key, period_end, ledger, invoice_number, external_invoice_number, party_number, party_name,
    invoice_date, due_date, total_ore, paid_by_period_end_ore, open_ore, paid_after_period_end_ore,
    last_payment_after_date, payments_after_period_end, days_overdue, ageing_bucket
) VALUES (
    :client_key, :period_end, :ledger, :invoice_number, :external_invoice_number, :party_number, :party_name,
    :invoice_date, :due_date, :total_ore, :paid_by_period_end_ore, :open_ore, :paid_after_period_end_ore,
    :last_payment_after_date, :payments_after_period_end, :days_overdue, :ageing_bucket
);
