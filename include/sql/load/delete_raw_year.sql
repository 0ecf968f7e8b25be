-- Empty one client-year raw partition before it is loaded again (same transaction as the load).
DELETE FROM raw_accounts WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_vouchers WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_voucher_rows WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_voucher_row_objects WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_header WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_dimensions WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_objects WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
DELETE FROM raw_sie_object_lists WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
