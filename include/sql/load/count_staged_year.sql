-- What staging holds of a client-year after a load: the counts its load run records.
SELECT
    (SELECT COUNT(*) FROM raw_accounts
      WHERE client_key = :client_key AND financial_year_id = :financial_year_id) AS accounts,
    (SELECT COUNT(*) FROM raw_vouchers
      WHERE client_key = :client_key AND financial_year_id = :financial_year_id) AS vouchers,
    (SELECT COUNT(*) FROM raw_voucher_rows
      WHERE client_key = :client_key AND financial_year_id = :financial_year_id) AS voucher_rows
