-- Whether any row of the year has an object list of its own (raw_voucher_row_objects): the voucher
-- records PostgreSQL formats (select_voucher_records.sql) know cost centres and projects only.
SELECT COUNT(*) FROM (
    SELECT 1 FROM raw_voucher_row_objects
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
    LIMIT 1
) AS any_row;
