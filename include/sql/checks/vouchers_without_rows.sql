-- Vouchers with no rows at all: Fortnox never keeps one, but a file from another program can hold one
-- (a voucher begun and never finished). It moves no balance; the closing should know it is there.
SELECT v.series, v.number, v.voucher_date
FROM sie_vouchers v
WHERE v.client_key = :client_key AND v.financial_year_id = :financial_year_id
  AND NOT EXISTS (SELECT 1 FROM sie_transactions t
                  WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id
                    AND t.series = v.series AND t.number = v.number)
ORDER BY v.series, v.number
