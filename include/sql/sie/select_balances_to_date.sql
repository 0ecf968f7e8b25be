-- #IB #UB #RES of a year up to the end of the last period asked for (YYYYMM), from the period balances (each
-- period's change): a balance account's #UB is its #IB plus its #PSALDO so far, a result account's #RES their sum
-- (the type in sie_accounts tells them apart).
SELECT balance_type, account, amount_ore
FROM (
    WITH psaldo AS (
        SELECT p.account, p.period, p.amount_ore, s.account_type IN ('T', 'S') AS balance
        FROM sie_period_balances p
        JOIN sie_accounts s
          ON s.client_key = p.client_key AND s.financial_year_id = p.financial_year_id AND s.account = p.account
        WHERE p.client_key = :client_key AND p.financial_year_id = :financial_year_id
          AND p.dimension_no = 0 AND p.period <= :last_period
    ),
    opening AS (
        SELECT account, amount_ore
        FROM sie_balances
        WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND balance_type = 'IB'
    ),
    moved AS (
        SELECT account, balance, SUM(amount_ore) AS amount_ore
        FROM psaldo GROUP BY account, balance
    ),
    listed AS (
        SELECT account FROM opening WHERE amount_ore <> 0
        UNION
        SELECT account FROM psaldo WHERE balance
    )
    SELECT 'IB' AS balance_type, l.account, COALESCE(o.amount_ore, 0) AS amount_ore
    FROM listed l LEFT JOIN opening o ON o.account = l.account
    UNION ALL
    SELECT 'UB', l.account, COALESCE(o.amount_ore, 0) + COALESCE(m.amount_ore, 0)
    FROM listed l LEFT JOIN moved m ON m.account = l.account LEFT JOIN opening o ON o.account = l.account
    UNION ALL
    SELECT 'RES', account, amount_ore
    FROM moved WHERE NOT balance
) balances
ORDER BY CASE balance_type WHEN 'IB' THEN 1 WHEN 'UB' THEN 2 ELSE 3 END, LENGTH(account), account;
