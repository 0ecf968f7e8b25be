-- Customer invoices in the form the ledger code shares with supplier invoices; the register's name wins.
SELECT i.invoice_number, NULL AS external_invoice_number, i.customer_number AS party_number,
       COALESCE(c.name, i.customer_name) AS party_name, i.invoice_date, i.due_date, i.total_ore,
       i.booked, i.cancelled, i.voucher_series, i.voucher_number, i.voucher_year
FROM raw_invoices i
LEFT JOIN raw_customers c ON c.client_key = i.client_key AND c.period_end = i.period_end AND c.customer_number = i.customer_number
WHERE i.client_key = :client_key AND i.period_end = :period_end;
