-- The staged vouchers an incremental load from a date replaces: their rows go first, and their reference
-- fields (not in the SIE file) are kept for staging them again.
SELECT voucher_series, voucher_number, reference_number, reference_type, comments
FROM raw_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND transaction_date >= :from_date
