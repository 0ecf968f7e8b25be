-- Balance accounts (type T or S) whose #UB is not #IB plus the year's counted transactions. An account
-- the chart lacks has no type: it is looked at here and in result_balances.sql alike, so that rows on it
-- are found whichever it is.
WITH movements AS (
    SELECT t.account, SUM(t.amount_ore) AS amount_ore
    FROM sie_transactions t
    LEFT JOIN sie_accounts s
      ON s.client_key = t.client_key AND s.financial_year_id = t.financial_year_id AND s.account = t.account
    WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id
      AND t.record_type <> 'BTRANS' AND (s.account_type IS NULL OR s.account_type IN ('T', 'S'))
    GROUP BY t.account
),
balances AS (
    SELECT account,
           SUM(CASE WHEN balance_type = 'IB' THEN amount_ore ELSE 0 END) AS opening_ore,
           SUM(CASE WHEN balance_type = 'UB' THEN amount_ore ELSE 0 END) AS closing_ore
    FROM sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND balance_type IN ('IB', 'UB')
    GROUP BY account
),
accounts AS (
    SELECT account FROM movements UNION SELECT account FROM balances
)
SELECT a.account,
       COALESCE(b.opening_ore, 0) AS opening_ore,
       COALESCE(m.amount_ore, 0) AS movement_ore,
       COALESCE(b.closing_ore, 0) AS closing_ore
FROM accounts a
LEFT JOIN balances b ON b.account = a.account
LEFT JOIN movements m ON m.account = a.account
WHERE COALESCE(b.closing_ore, 0) <> COALESCE(b.opening_ore, 0) + COALESCE(m.amount_ore, 0)
ORDER BY LENGTH(a.account), a.account
