-- An incremental load's delete: the client-year's chart, header, balances and objects (all come
-- again), and its vouchers dated from the given date (the file from that date holds them all
-- again). Their rows are deleted first, voucher by voucher (load/delete_voucher_rows), and their rows'
-- object lists before the vouchers.
DELETE FROM raw_accounts WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_voucher_row_objects
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
  AND EXISTS (SELECT 1 FROM raw_vouchers v
              WHERE v.client_key = :client_key AND v.financial_year_id = :financial_year_id
                AND v.voucher_series = raw_voucher_row_objects.voucher_series
                AND v.voucher_number = raw_voucher_row_objects.voucher_number AND v.transaction_date >= :from_date);
DELETE FROM raw_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND transaction_date >= :from_date;
DELETE FROM raw_sie_header WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_dimensions WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_objects WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_object_lists WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
