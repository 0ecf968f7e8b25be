-- What the year's current load received against the totals Fortnox reported in the lists'
-- MetaInformation (@TotalResources); NULL where the extraction did not record them.
SELECT l.finished_at, l.accounts, l.fortnox_accounts_reported, l.vouchers, l.fortnox_vouchers_reported
FROM load_runs l
WHERE l.client_key = :client_key AND l.financial_year_id = :financial_year_id
  AND l.load_id = (SELECT MAX(a.load_id) FROM raw_accounts a
                   WHERE a.client_key = :client_key AND a.financial_year_id = :financial_year_id)
