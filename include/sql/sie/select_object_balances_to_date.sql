-- #OIB #OUB up to the end of the last period asked for: #OUB is #OIB plus the object's #PSALDO movements so far.
-- An object with a zero #OIB that has not moved by then is left out.
SELECT balance_type, account, dimension_no, object_id, amount_ore
FROM (
    WITH moved AS (
        SELECT p.account, p.dimension_no, p.object_id, SUM(p.amount_ore) AS amount_ore
        FROM sie_period_balances p
        JOIN sie_accounts s
          ON s.client_key = p.client_key AND s.financial_year_id = p.financial_year_id AND s.account = p.account
        WHERE p.client_key = :client_key AND p.financial_year_id = :financial_year_id
          AND p.dimension_no <> 0 AND s.account_type IN ('T', 'S') AND p.period <= :last_period
        GROUP BY p.account, p.dimension_no, p.object_id
    ),
    opening AS (
        SELECT account, dimension_no, object_id, amount_ore
        FROM sie_object_balances
        WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND balance_type = 'OIB'
    ),
    keyed AS (
        SELECT account, dimension_no, object_id FROM opening WHERE amount_ore <> 0
        UNION
        SELECT account, dimension_no, object_id FROM moved
    )
    SELECT 'OIB' AS balance_type, k.account, k.dimension_no, k.object_id, COALESCE(o.amount_ore, 0) AS amount_ore
    FROM keyed k
    LEFT JOIN opening o ON o.account = k.account AND o.dimension_no = k.dimension_no AND o.object_id = k.object_id
    UNION ALL
    SELECT 'OUB', k.account, k.dimension_no, k.object_id, COALESCE(o.amount_ore, 0) + COALESCE(m.amount_ore, 0)
    FROM keyed k
    LEFT JOIN opening o ON o.account = k.account AND o.dimension_no = k.dimension_no AND o.object_id = k.object_id
    LEFT JOIN moved m ON m.account = k.account AND m.dimension_no = k.dimension_no AND m.object_id = k.object_id
) balances
ORDER BY LENGTH(account), account, dimension_no, object_id, balance_type;
