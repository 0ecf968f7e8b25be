-- #IB #UB #RES of a year up to the end of the last period asked for (YYYYMM), from the period balances (each
-- period's change): a balance account's #UB is its #IB plus its #PSALDO so far, a result account's #RES their sum.
SELECT balance_type, account, amount_ore
FROM (
    WITH psaldo AS (
        SELECT account, period, amount_ore
        FROM sie_period_balances
        WHERE client_key = :client_key AND financial_year_id = :financial_year_id
          AND dimension_no = 0 AND period <= :last_period
    ),
    opening AS (
        SELECT account, amount_ore
        FROM sie_balances
        WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND balance_type = 'IB'
    ),
    moved AS (
        SELECT account, SUM(amount_ore) AS amount_ore
        FROM psaldo GROUP BY account
    ),
    listed AS (
        SELECT account FROM opening WHERE amount_ore <> 0
        UNION
        SELECT account FROM psaldo WHERE account < 3000
    )
    SELECT 'IB' AS balance_type, l.account, COALESCE(o.amount_ore, 0) AS amount_ore
    FROM listed l LEFT JOIN opening o ON o.account = l.account
    UNION ALL
    SELECT 'UB', l.account, COALESCE(o.amount_ore, 0) + COALESCE(m.amount_ore, 0)
    FROM listed l LEFT JOIN moved m ON m.account = l.account LEFT JOIN opening o ON o.account = l.account
    UNION ALL
    SELECT 'RES', account, amount_ore
    FROM moved WHERE account >= 3000
) balances
ORDER BY CASE balance_type WHEN 'IB' THEN 1 WHEN 'UB' THEN 2 ELSE 3 END, account;
