-- The objects of the year's transaction rows in file order, one line per dimension (see select_vouchers.sql).
SELECT series, number, row_no, dimension_no, object_id
FROM sie_transaction_objects
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY series, number, row_no, dimension_no;
