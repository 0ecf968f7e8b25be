-- Supplier invoices in the form the ledger code shares with customer invoices; the register's name wins.
SELECT i.given_number AS invoice_number, i.invoice_number AS external_invoice_number,
       i.supplier_number AS party_number, COALESCE(s.name, i.supplier_name) AS party_name, i.invoice_date,
       i.due_date, i.total_ore, i.booked, i.cancelled, i.voucher_series, i.voucher_number, i.voucher_year
FROM raw_supplier_invoices i
LEFT JOIN raw_suppliers s ON s.client_key = i.client_key AND s.period_end = i.period_end AND s.supplier_number = i.supplier_number
WHERE i.client_key = :client_key AND i.period_end = :period_end;
