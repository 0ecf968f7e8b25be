-- Each row's {object list}: the cost centre (dimension 1) and the project (dimension 6), as Fortnox writes them.
-- One pass over the rows, both dimensions of a row together: the objects arrive in key order, which
-- keeps the primary key's inserts at its end (two passes, one per dimension, took twice as long).
DELETE FROM sie_transaction_objects WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_transaction_objects (client_key, financial_year_id, series, number, row_no, dimension_no, object_id)
SELECT r.client_key, r.financial_year_id, r.voucher_series, r.voucher_number, r.row_no, d.dimension_no,
       CASE d.dimension_no WHEN 1 THEN r.cost_center ELSE r.project END
FROM raw_voucher_rows r
CROSS JOIN (SELECT 1 AS dimension_no UNION ALL SELECT 6) d
WHERE r.client_key = :client_key AND r.financial_year_id = :financial_year_id
  AND (r.cost_center <> '' OR r.project <> '')
  AND CASE d.dimension_no WHEN 1 THEN r.cost_center ELSE r.project END <> '';
