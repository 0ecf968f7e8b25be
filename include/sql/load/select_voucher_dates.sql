-- The staged vouchers' dates of a year: a changed voucher's list entry carries no TransactionDate.
SELECT voucher_series, voucher_number, transaction_date
FROM raw_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
