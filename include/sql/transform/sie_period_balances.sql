-- #PSALDO from the counted rows (not Removed, #BTRANS) by the voucher's month. Without objects: a
-- balance account's balance at the period's end (its #IB plus every movement up to then), a result
-- account's movement in the period. Per single object (cost centre 1, project 6): the period's movement.
-- The movements are summed from year_movements (year_movements.sql), not from the raw rows; a row
-- whose voucher head is missing has no period and no #PSALDO.
DELETE FROM sie_period_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_period_balances (client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore)
WITH by_period AS (
    SELECT period, account, cost_center, project, amount_ore
    FROM year_movements
    WHERE period IS NOT NULL
),
movements AS (
    SELECT period, account, SUM(amount_ore) AS amount_ore
    FROM by_period
    GROUP BY period, account
),
object_movements AS (
    SELECT period, account, 1 AS dimension_no, cost_center AS object_id, SUM(amount_ore) AS amount_ore
    FROM by_period WHERE cost_center <> '' GROUP BY period, account, cost_center
    UNION ALL
    SELECT period, account, 6, project, SUM(amount_ore)
    FROM by_period WHERE project <> '' GROUP BY period, account, project
),
running AS (
    SELECT period, account, amount_ore,
           SUM(amount_ore) OVER (PARTITION BY account ORDER BY period) AS to_date_ore
    FROM movements
)
SELECT :client_key, :financial_year_id, r.period, r.account, 0, '',
       CASE WHEN r.account < 3000 THEN COALESCE(ib.amount_ore, 0) + r.to_date_ore ELSE r.amount_ore END
FROM running r
LEFT JOIN sie_balances ib
  ON ib.client_key = :client_key AND ib.financial_year_id = :financial_year_id
 AND ib.balance_type = 'IB' AND ib.account = r.account
UNION ALL
SELECT :client_key, :financial_year_id, period, account, dimension_no, object_id, amount_ore
FROM object_movements;
