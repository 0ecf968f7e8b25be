-- Balance accounts whose #UB is not #IB plus the year's counted transactions.
WITH movements AS (
    SELECT account, SUM(amount_ore) AS amount_ore
    FROM sie_transactions
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
      AND record_type <> 'BTRANS' AND account < 3000
    GROUP BY account
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
ORDER BY a.account
