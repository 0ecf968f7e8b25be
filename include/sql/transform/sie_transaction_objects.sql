-- Each row's {object list}: the cost centre (dimension 1) and the project (dimension 6), as Fortnox writes them.
DELETE FROM sie_transaction_objects WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_transaction_objects (client_key, financial_year_id, series, number, row_no, dimension_no, object_id)
SELECT client_key, financial_year_id, voucher_series, voucher_number, row_no, 1, cost_center
FROM raw_voucher_rows
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND cost_center <> ''
UNION ALL
SELECT client_key, financial_year_id, voucher_series, voucher_number, row_no, 6, project
FROM raw_voucher_rows
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND project <> '';
