-- Empty one period's raw ledger partition before it is loaded again (in the same transaction).
DELETE FROM raw_customers WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM raw_suppliers WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM raw_invoices WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM raw_invoice_payments WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM raw_supplier_invoices WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM raw_supplier_invoice_payments WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM raw_ledger_extracts WHERE client_key = :client_key AND period_end = :period_end;
