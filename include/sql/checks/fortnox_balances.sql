-- Our #IB #UB #RES of the year beside the ones Fortnox's own SIE export stated (year index 0, no
-- object, no period), one row per balance either side has; a missing line is zero.
WITH ours AS (
    SELECT balance_type, account, amount_ore FROM sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND balance_type IN ('IB', 'UB', 'RES')
),
stated AS (
    SELECT balance_type, account, amount_ore FROM raw_sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = 0
      AND balance_type IN ('IB', 'UB', 'RES') AND period = '' AND dimension_no = 0
),
balances AS (
    SELECT balance_type, account FROM ours UNION SELECT balance_type, account FROM stated
)
SELECT b.balance_type, b.account, COALESCE(o.amount_ore, 0) AS ours_ore, s.amount_ore AS stated_ore
FROM balances b
LEFT JOIN ours o ON o.balance_type = b.balance_type AND o.account = b.account
LEFT JOIN stated s ON s.balance_type = b.balance_type AND s.account = b.account
ORDER BY LENGTH(b.account), b.account, b.balance_type
