-- One voucher's rows, by the primary key's prefix: an incremental load replaces few vouchers, and
-- a join against freshly loaded tables without statistics can take PostgreSQL seconds.
DELETE FROM raw_voucher_rows
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
  AND voucher_series = :voucher_series AND voucher_number = :voucher_number
