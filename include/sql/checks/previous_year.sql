-- Input of the opening balance check: the financial year just before this one, if Fortnox has one,
-- and whether it was loaded (its balances are then in the SIE tables), or its balances were taken from
-- an imported file's #UB -1 (sie_stated_previous_year.sql: balances, but no chart of its own).
SELECT p.financial_year_id, p.start_date, p.end_date,
       CASE WHEN EXISTS (
           SELECT 1 FROM load_runs l WHERE l.client_key = p.client_key AND l.financial_year_id = p.financial_year_id
       ) OR (EXISTS (
           SELECT 1 FROM sie_balances b WHERE b.client_key = p.client_key AND b.financial_year_id = p.financial_year_id
       ) AND NOT EXISTS (
           SELECT 1 FROM raw_accounts a WHERE a.client_key = p.client_key AND a.financial_year_id = p.financial_year_id
       )) THEN 1 ELSE 0 END AS loaded
FROM sie_financial_years p
JOIN sie_financial_years y ON y.client_key = p.client_key AND y.financial_year_id = :financial_year_id
WHERE p.client_key = :client_key AND p.end_date < y.start_date
ORDER BY p.end_date DESC
LIMIT 1
