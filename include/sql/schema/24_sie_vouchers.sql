-- SIE4 #VER heads of one financial year: the raw voucher heads under their SIE names. A view, not a
-- copy: a year's vouchers and rows are the largest part of staging, and a second copy of them cost
-- more than the load itself while holding nothing the raw tables do not.
CREATE VIEW sie_vouchers AS
SELECT client_key, financial_year_id, voucher_series AS series, voucher_number AS number,
       transaction_date AS voucher_date, registration_date, description AS voucher_text, signature
FROM raw_vouchers;
