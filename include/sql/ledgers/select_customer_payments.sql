SELECT payment_number, invoice_number, payment_date, amount_ore
FROM raw_invoice_payments
WHERE client_key = :client_key AND period_end = :period_end;
