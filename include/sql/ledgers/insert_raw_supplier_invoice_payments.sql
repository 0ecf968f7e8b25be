INSERT INTO raw_supplier_invoice_payments (
    client_key, period_end, payment_number, invoice_number, payment_date, amount_ore, currency, booked, load_id, loaded_at
) VALUES (
    :client_key, :period_end, :payment_number, :invoice_number, :payment_date, :amount_ore, :currency, :booked, :load_id, :loaded_at
);
