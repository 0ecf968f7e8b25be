-- The source's own #PSALDO of the year (year index 0) beside the period's change its vouchers give
-- (counted rows, by the voucher's month), per account without objects, per object of the dimensions
-- the source states #PSALDO for, and per list of several objects it states #PSALDO for (dimension -1,
-- object_id the list's key: the rows that carry every object of the list); one row per (period, account,
-- object) either side has, a missing line being zero. No rows when the source states no #PSALDO.
WITH stated AS (
    SELECT period, account, dimension_no, object_id, amount_ore
    FROM raw_sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = 0
      AND balance_type = 'PSALDO'
),
rows_by_period AS (
    SELECT SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 6, 2)
           AS period, r.account, r.cost_center, r.project, r.debit_ore - r.credit_ore AS amount_ore
    FROM raw_voucher_rows r
    JOIN raw_vouchers v
      ON v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id
     AND v.voucher_series = r.voucher_series AND v.voucher_number = r.voucher_number
    WHERE r.client_key = :client_key AND r.financial_year_id = :financial_year_id AND NOT r.removed
      AND EXISTS (SELECT 1 FROM stated)
),
other_objects AS (
    SELECT SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 6, 2)
           AS period, r.account, o.dimension_no, o.object_id, r.debit_ore - r.credit_ore AS amount_ore
    FROM raw_voucher_row_objects o
    JOIN raw_voucher_rows r
      ON r.client_key = o.client_key AND r.financial_year_id = o.financial_year_id
     AND r.voucher_series = o.voucher_series AND r.voucher_number = o.voucher_number AND r.row_no = o.row_no
    JOIN raw_vouchers v
      ON v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id
     AND v.voucher_series = r.voucher_series AND v.voucher_number = r.voucher_number
    WHERE o.client_key = :client_key AND o.financial_year_id = :financial_year_id AND NOT r.removed
      AND o.dimension_no NOT IN (1, 6)
),
row_objects AS (
    SELECT voucher_series, voucher_number, row_no, 1 AS dimension_no, cost_center AS object_id
    FROM raw_voucher_rows
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND cost_center <> ''
      AND EXISTS (SELECT 1 FROM stated WHERE dimension_no = -1)
    UNION ALL
    SELECT voucher_series, voucher_number, row_no, 6, project
    FROM raw_voucher_rows
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND project <> ''
      AND EXISTS (SELECT 1 FROM stated WHERE dimension_no = -1)
    UNION ALL
    SELECT voucher_series, voucher_number, row_no, dimension_no, object_id
    FROM raw_voucher_row_objects
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND dimension_no NOT IN (1, 6)
),
list_rows AS (
    SELECT l.list_key, o.voucher_series, o.voucher_number, o.row_no
    FROM raw_sie_object_lists l
    JOIN row_objects o ON o.dimension_no = l.dimension_no AND o.object_id = l.object_id
    WHERE l.client_key = :client_key AND l.financial_year_id = :financial_year_id
      AND l.list_key IN (SELECT object_id FROM stated WHERE dimension_no = -1)
    GROUP BY l.list_key, o.voucher_series, o.voucher_number, o.row_no
    HAVING COUNT(DISTINCT l.position) = (SELECT COUNT(*) FROM raw_sie_object_lists n
                                         WHERE n.client_key = :client_key AND n.financial_year_id = :financial_year_id
                                           AND n.list_key = l.list_key)
),
listed_objects AS (
    SELECT SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 6, 2)
           AS period, r.account, l.list_key, r.debit_ore - r.credit_ore AS amount_ore
    FROM list_rows l
    JOIN raw_voucher_rows r
      ON r.client_key = :client_key AND r.financial_year_id = :financial_year_id
     AND r.voucher_series = l.voucher_series AND r.voucher_number = l.voucher_number AND r.row_no = l.row_no
    JOIN raw_vouchers v
      ON v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id
     AND v.voucher_series = r.voucher_series AND v.voucher_number = r.voucher_number
    WHERE NOT r.removed
),
computed AS (
    SELECT period, account, 0 AS dimension_no, '' AS object_id, SUM(amount_ore) AS amount_ore
    FROM rows_by_period GROUP BY period, account
    UNION ALL
    SELECT period, account, 1, cost_center, SUM(amount_ore)
    FROM rows_by_period WHERE cost_center <> '' GROUP BY period, account, cost_center
    UNION ALL
    SELECT period, account, 6, project, SUM(amount_ore)
    FROM rows_by_period WHERE project <> '' GROUP BY period, account, project
    UNION ALL
    SELECT period, account, dimension_no, object_id, SUM(amount_ore)
    FROM other_objects GROUP BY period, account, dimension_no, object_id
    UNION ALL
    SELECT period, account, -1, list_key, SUM(amount_ore)
    FROM listed_objects GROUP BY period, account, list_key
),
compared AS (
    SELECT period, account, dimension_no, object_id FROM stated
    UNION
    SELECT period, account, dimension_no, object_id FROM computed
    WHERE dimension_no IN (SELECT dimension_no FROM stated)
      AND period <= (SELECT MAX(period) FROM stated)
)
SELECT k.period, k.account, k.dimension_no, k.object_id,
       COALESCE(s.amount_ore, 0) AS stated_ore, COALESCE(c.amount_ore, 0) AS computed_ore
FROM compared k
LEFT JOIN stated s ON s.period = k.period AND s.account = k.account
 AND s.dimension_no = k.dimension_no AND s.object_id = k.object_id
LEFT JOIN computed c ON c.period = k.period AND c.account = k.account
 AND c.dimension_no = k.dimension_no AND c.object_id = k.object_id
WHERE COALESCE(s.amount_ore, 0) <> COALESCE(c.amount_ore, 0)
ORDER BY k.period, LENGTH(k.account), k.account, k.dimension_no, k.object_id
