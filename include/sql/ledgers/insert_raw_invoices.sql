INSERT INTO raw_invoices (
    client_key, period_end, invoice_number, customer_number, customer_name, invoice_date, due_date, currency, total_ore,
    balance_ore, booked, cancelled, voucher_series, voucher_number, voucher_year, load_id, loaded_at
) VALUES (
    :client_key, :period_end, :invoice_number, :party_number, :party_name, :invoice_date, :due_date, :currency, :total_ore,
    :balance_ore, :booked, :cancelled, :voucher_series, :voucher_number, :voucher_year, :load_id, :loaded_at
);
