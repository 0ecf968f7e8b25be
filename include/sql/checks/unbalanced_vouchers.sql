-- Vouchers whose counted rows do not sum to zero; removed rows (#BTRANS) never count.
-- Summed before the join: one pass over the rows, whatever the planner knows about fresh tables.
WITH sums AS (
    SELECT series, number, SUM(amount_ore) AS off_ore
    FROM sie_transactions
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND record_type <> 'BTRANS'
    GROUP BY series, number
    HAVING SUM(amount_ore) <> 0
)
SELECT s.series, s.number, v.voucher_date, s.off_ore
FROM sums s
LEFT JOIN sie_vouchers v
  ON v.client_key = :client_key AND v.financial_year_id = :financial_year_id
 AND v.series = s.series AND v.number = s.number
ORDER BY s.series, s.number
