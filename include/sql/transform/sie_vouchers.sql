-- #VER heads.
DELETE FROM sie_vouchers WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_vouchers (client_key, financial_year_id, series, number, voucher_date, registration_date, voucher_text)
SELECT client_key, financial_year_id, voucher_series, voucher_number, transaction_date, registration_date, description
FROM raw_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
