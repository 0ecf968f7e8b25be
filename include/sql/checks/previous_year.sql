-- Input of the opening balance check: the financial year just before this one, if Fortnox has one,
-- and whether it was loaded (its balances are then in the SIE tables).
SELECT p.financial_year_id, p.start_date, p.end_date,
       CASE WHEN EXISTS (
           SELECT 1 FROM load_runs l WHERE l.client_key = p.client_key AND l.financial_year_id = p.financial_year_id
       ) THEN 1 ELSE 0 END AS loaded
FROM sie_financial_years p
JOIN sie_financial_years y ON y.client_key = p.client_key AND y.financial_year_id = :financial_year_id
WHERE p.client_key = :client_key AND p.end_date < y.start_date
ORDER BY p.end_date DESC
LIMIT 1
