-- A voucher of the year with rows staged but no voucher head, if any: written without its head, the
-- file would leave its rows out unnoticed. (The portable writer finds such rows as it merges rows
-- into vouchers; the database-formatted path asks when the year holds more rows than its vouchers.)
SELECT r.voucher_series, r.voucher_number
FROM raw_voucher_rows r
WHERE r.client_key = :client_key AND r.financial_year_id = :financial_year_id
  AND NOT EXISTS (SELECT 1 FROM raw_vouchers v
                  WHERE v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id
                    AND v.voucher_series = r.voucher_series AND v.voucher_number = r.voucher_number)
LIMIT 1;
