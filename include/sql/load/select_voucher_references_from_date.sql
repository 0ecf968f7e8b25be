-- The reference fields (not in the SIE file) of the staged vouchers an incremental load stages again.
SELECT voucher_series, voucher_number, reference_number, reference_type, comments
FROM raw_vouchers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND transaction_date >= :from_date
