-- An incremental load's delete: the client-year's chart, header, balances and objects (all come
-- again), and its vouchers dated from the given date (the file from that date holds them all
-- again). Their rows are deleted first, voucher by voucher (load/delete_voucher_rows).
DELETE FROM raw_accounts WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND transaction_date >= :from_date;
DELETE FROM raw_sie_header WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_dimensions WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_objects WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
