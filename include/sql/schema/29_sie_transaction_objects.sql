-- The {object list} of each SIE4 transaction row, one row per dimension (a view, see
-- 24_sie_vouchers.sql): the cost centre (dimension 1) and the project (dimension 6), as Fortnox writes them.
CREATE VIEW sie_transaction_objects AS
SELECT client_key, financial_year_id, voucher_series AS series, voucher_number AS number, row_no,
       1 AS dimension_no, cost_center AS object_id
FROM raw_voucher_rows
WHERE cost_center <> ''
UNION ALL
SELECT client_key, financial_year_id, voucher_series, voucher_number, row_no, 6, project
FROM raw_voucher_rows
WHERE project <> '';
