-- Result accounts (type I or K) whose #RES is not the year's counted transactions; an account the chart
-- lacks, as in closing_balances.sql.
WITH movements AS (
    SELECT t.account, SUM(t.amount_ore) AS amount_ore
    FROM sie_transactions t
    LEFT JOIN sie_accounts s
      ON s.client_key = t.client_key AND s.financial_year_id = t.financial_year_id AND s.account = t.account
    WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id
      AND t.record_type <> 'BTRANS' AND (s.account_type IS NULL OR s.account_type IN ('I', 'K'))
    GROUP BY t.account
),
results AS (
    SELECT account, amount_ore
    FROM sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND balance_type = 'RES'
),
accounts AS (
    SELECT account FROM movements UNION SELECT account FROM results
)
SELECT a.account, COALESCE(r.amount_ore, 0) AS result_ore, COALESCE(m.amount_ore, 0) AS movement_ore
FROM accounts a
LEFT JOIN results r ON r.account = a.account
LEFT JOIN movements m ON m.account = a.account
WHERE COALESCE(r.amount_ore, 0) <> COALESCE(m.amount_ore, 0)
ORDER BY LENGTH(a.account), a.account
