-- The year's #VER heads in file order. The writer reads this, select_transactions and
-- select_transaction_objects side by side as three ordered streams (each an index scan in key
-- order) and merges them: a three-way join sorted by the database costs more than the writing.
SELECT series, number, voucher_date, registration_date, voucher_text, signature
FROM sie_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY series, number;
