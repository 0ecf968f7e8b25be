-- How many staged vouchers of a client-year an incremental load from a date would replace.
SELECT COUNT(*) FROM raw_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND transaction_date >= :from_date
