-- #PSALDO from the counted rows (not Removed, #BTRANS) by the voucher's month. Without objects: a
-- balance account's balance at the period's end (its #IB plus every movement up to then), a result
-- account's movement in the period. Per single object (cost centre 1, project 6): the period's movement.
-- The raw rows are read once and summed by voucher date, account and object list first, so the
-- period is worked out once per day and account, not once per row (a year has a million rows but a
-- few hundred days).
DELETE FROM sie_period_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_period_balances (client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore)
WITH daily AS (
    SELECT v.transaction_date AS voucher_date, r.account, r.cost_center, r.project,
           SUM(r.debit_ore - r.credit_ore) AS amount_ore
    FROM raw_voucher_rows r
    JOIN raw_vouchers v
      ON v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id
     AND v.voucher_series = r.voucher_series AND v.voucher_number = r.voucher_number
    WHERE r.client_key = :client_key AND r.financial_year_id = :financial_year_id AND NOT r.removed
    GROUP BY v.transaction_date, r.account, r.cost_center, r.project
),
by_period AS (
    SELECT SUBSTR(CAST(voucher_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(voucher_date AS VARCHAR(10)), 6, 2)
           AS period, account, cost_center, project, amount_ore
    FROM daily
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
