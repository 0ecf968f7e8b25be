-- #PSALDO from the counted rows (not #BTRANS) by the voucher's month. Without objects: a balance
-- account's balance at the period's end (its #IB plus every movement up to then), a result account's
-- movement in the period. Per single object: the period's movement.
-- Rows are summed by voucher date first, so the period is worked out once per day and account,
-- not once per row (a year has a million rows but a few hundred days).
DELETE FROM sie_period_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_period_balances (client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore)
WITH daily AS (
    SELECT v.voucher_date, t.account, SUM(t.amount_ore) AS amount_ore
    FROM sie_transactions t
    JOIN sie_vouchers v
      ON v.client_key = t.client_key AND v.financial_year_id = t.financial_year_id
     AND v.series = t.series AND v.number = t.number
    WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id AND t.record_type <> 'BTRANS'
    GROUP BY v.voucher_date, t.account
),
daily_objects AS (
    SELECT v.voucher_date, t.account, o.dimension_no, o.object_id, SUM(t.amount_ore) AS amount_ore
    FROM sie_transaction_objects o
    JOIN sie_transactions t
      ON t.client_key = o.client_key AND t.financial_year_id = o.financial_year_id
     AND t.series = o.series AND t.number = o.number AND t.row_no = o.row_no
    JOIN sie_vouchers v
      ON v.client_key = t.client_key AND v.financial_year_id = t.financial_year_id
     AND v.series = t.series AND v.number = t.number
    WHERE o.client_key = :client_key AND o.financial_year_id = :financial_year_id AND t.record_type <> 'BTRANS'
    GROUP BY v.voucher_date, t.account, o.dimension_no, o.object_id
),
movements AS (
    SELECT period, account, SUM(amount_ore) AS amount_ore
    FROM (SELECT SUBSTR(CAST(voucher_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(voucher_date AS VARCHAR(10)), 6, 2)
                 AS period, account, amount_ore
          FROM daily) AS by_day
    GROUP BY period, account
),
object_movements AS (
    SELECT period, account, dimension_no, object_id, SUM(amount_ore) AS amount_ore
    FROM (SELECT SUBSTR(CAST(voucher_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(voucher_date AS VARCHAR(10)), 6, 2)
                 AS period, account, dimension_no, object_id, amount_ore
          FROM daily_objects) AS by_day
    GROUP BY period, account, dimension_no, object_id
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
