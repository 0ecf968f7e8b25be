-- #OIB #OUB for balance accounts (type T or S in sie_accounts). Opening balances carry no objects in the chart of
-- accounts, so #OIB is what the year's SIE source states; #OUB adds the year's counted rows per object,
-- of every dimension. A source's balance of a list of several objects (dimension -1) has its #OIB only:
-- its #OUB is the source's own (sie_stated_balances.sql).
-- Each dimension's movements are summed from year_movements and year_object_movements, not from the raw rows.
DELETE FROM sie_object_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_object_balances (client_key, financial_year_id, balance_type, account, dimension_no, object_id, amount_ore)
WITH opening AS (
    SELECT account, dimension_no, object_id, amount_ore
    FROM raw_sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
      AND year_index = 0 AND balance_type = 'OIB'
),
balance_movements AS (
    SELECT m.account, m.cost_center, m.project, m.amount_ore
    FROM year_movements m
    JOIN sie_accounts s
      ON s.client_key = :client_key AND s.financial_year_id = :financial_year_id AND s.account = m.account
    WHERE s.account_type IN ('T', 'S')
),
movements AS (
    SELECT account, 1 AS dimension_no, cost_center AS object_id, SUM(amount_ore) AS amount_ore
    FROM balance_movements WHERE cost_center <> '' GROUP BY account, cost_center
    UNION ALL
    SELECT account, 6, project, SUM(amount_ore)
    FROM balance_movements WHERE project <> '' GROUP BY account, project
    UNION ALL
    SELECT m.account, m.dimension_no, m.object_id, SUM(m.amount_ore)
    FROM year_object_movements m
    JOIN sie_accounts s
      ON s.client_key = :client_key AND s.financial_year_id = :financial_year_id AND s.account = m.account
    WHERE s.account_type IN ('T', 'S')
    GROUP BY m.account, m.dimension_no, m.object_id
),
keyed AS (
    SELECT account, dimension_no, object_id FROM opening
    UNION
    SELECT account, dimension_no, object_id FROM movements
)
SELECT :client_key, :financial_year_id, 'OIB', k.account, k.dimension_no, k.object_id, COALESCE(b.amount_ore, 0)
FROM keyed k
LEFT JOIN opening b ON b.account = k.account AND b.dimension_no = k.dimension_no AND b.object_id = k.object_id
UNION ALL
SELECT :client_key, :financial_year_id, 'OUB', k.account, k.dimension_no, k.object_id,
       COALESCE(b.amount_ore, 0) + COALESCE(m.amount_ore, 0)
FROM keyed k
LEFT JOIN opening b ON b.account = k.account AND b.dimension_no = k.dimension_no AND b.object_id = k.object_id
LEFT JOIN movements m ON m.account = k.account AND m.dimension_no = k.dimension_no AND m.object_id = k.object_id
WHERE k.dimension_no <> -1;
