-- #OIB #OUB for balance accounts (classes 1-2). Opening balances carry no objects in the chart of
-- accounts, so #OIB is what the year's SIE source states; #OUB adds the year's counted rows per object.
DELETE FROM sie_object_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_object_balances (client_key, financial_year_id, balance_type, account, dimension_no, object_id, amount_ore)
WITH opening AS (
    SELECT account, dimension_no, object_id, amount_ore
    FROM raw_sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
      AND year_index = 0 AND balance_type = 'OIB'
),
movements AS (
    SELECT t.account, o.dimension_no, o.object_id, SUM(t.amount_ore) AS amount_ore
    FROM sie_transactions t
    JOIN sie_transaction_objects o
      ON o.client_key = t.client_key AND o.financial_year_id = t.financial_year_id
     AND o.series = t.series AND o.number = t.number AND o.row_no = t.row_no
    WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id
      AND t.record_type <> 'BTRANS' AND t.account < 3000
    GROUP BY t.account, o.dimension_no, o.object_id
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
LEFT JOIN movements m ON m.account = k.account AND m.dimension_no = k.dimension_no AND m.object_id = k.object_id;
