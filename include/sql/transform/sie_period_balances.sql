-- #PSALDO from the counted rows (not #BTRANS) by the voucher's month. Without objects: a balance
-- account's balance at the period's end (its #IB plus every movement up to then), a result account's
-- movement in the period. Per single object: the period's movement.
DELETE FROM sie_period_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_period_balances (client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore)
WITH counted AS (
    SELECT t.series, t.number, t.row_no, t.account, t.amount_ore,
           SUBSTR(CAST(v.voucher_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(v.voucher_date AS VARCHAR(10)), 6, 2) AS period
    FROM sie_transactions t
    JOIN sie_vouchers v
      ON v.client_key = t.client_key AND v.financial_year_id = t.financial_year_id
     AND v.series = t.series AND v.number = t.number
    WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id AND t.record_type <> 'BTRANS'
),
movements AS (
    SELECT period, account, SUM(amount_ore) AS amount_ore
    FROM counted
    GROUP BY period, account
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
SELECT :client_key, :financial_year_id, c.period, c.account, o.dimension_no, o.object_id, SUM(c.amount_ore)
FROM counted c
JOIN sie_transaction_objects o
  ON o.client_key = :client_key AND o.financial_year_id = :financial_year_id
 AND o.series = c.series AND o.number = c.number AND o.row_no = c.row_no
GROUP BY c.period, c.account, o.dimension_no, o.object_id;
