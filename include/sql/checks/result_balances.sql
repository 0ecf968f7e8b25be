-- Result accounts whose #RES is not the year's counted transactions.
WITH movements AS (
    SELECT account, SUM(amount_ore) AS amount_ore
    FROM sie_transactions
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
      AND record_type <> 'BTRANS' AND account >= 3000
    GROUP BY account
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
ORDER BY a.account
