-- What the year's current load recorded (its load_id is on the staged rows) against what staging
-- and the SIE tables hold: a difference means rows were lost, or the SIE accounts are stale (the SIE
-- vouchers and transactions are views over the raw rows, so they can only differ from them by a bug).
SELECT l.finished_at, l.accounts, l.vouchers, l.voucher_rows,
       (SELECT COUNT(*) FROM raw_accounts a
         WHERE a.client_key = l.client_key AND a.financial_year_id = l.financial_year_id) AS raw_accounts,
       (SELECT COUNT(*) FROM raw_vouchers v
         WHERE v.client_key = l.client_key AND v.financial_year_id = l.financial_year_id) AS raw_vouchers,
       (SELECT COUNT(*) FROM raw_voucher_rows r
         WHERE r.client_key = l.client_key AND r.financial_year_id = l.financial_year_id) AS raw_voucher_rows,
       (SELECT COUNT(*) FROM sie_accounts a
         WHERE a.client_key = l.client_key AND a.financial_year_id = l.financial_year_id) AS sie_accounts,
       (SELECT COUNT(*) FROM sie_vouchers v
         WHERE v.client_key = l.client_key AND v.financial_year_id = l.financial_year_id) AS sie_vouchers,
       (SELECT COUNT(*) FROM sie_transactions t
         WHERE t.client_key = l.client_key AND t.financial_year_id = l.financial_year_id) AS sie_transactions
FROM load_runs l
WHERE l.client_key = :client_key AND l.financial_year_id = :financial_year_id
  AND l.load_id = (SELECT MAX(a.load_id) FROM raw_accounts a
                   WHERE a.client_key = :client_key AND a.financial_year_id = :financial_year_id)
