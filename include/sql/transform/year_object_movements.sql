-- The year's counted rows (not Removed, #BTRANS) summed by month, account and object of the dimensions other
-- than cost centre (1) and project (6), which year_movements.sql holds: from the rows' own object lists
-- (raw_voucher_row_objects; only files from other programs have them), an object listed twice on a row
-- counted once. Read once for #OIB #OUB and #PSALDO alike; a row whose voucher head is missing has no period.
CREATE TEMPORARY TABLE year_object_movements AS
WITH row_objects AS (
    SELECT DISTINCT voucher_series, voucher_number, row_no, dimension_no, object_id
    FROM raw_voucher_row_objects
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND dimension_no NOT IN (1, 6)
),
moved AS (
    SELECT SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(v.transaction_date AS VARCHAR(10)), 6, 2)
           AS period, r.account, o.dimension_no, o.object_id, r.debit_ore - r.credit_ore AS amount_ore
    FROM row_objects o
    JOIN raw_voucher_rows r
      ON r.client_key = :client_key AND r.financial_year_id = :financial_year_id
     AND r.voucher_series = o.voucher_series AND r.voucher_number = o.voucher_number AND r.row_no = o.row_no
    LEFT JOIN raw_vouchers v
      ON v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id
     AND v.voucher_series = r.voucher_series AND v.voucher_number = r.voucher_number
    WHERE NOT r.removed
)
SELECT period, account, dimension_no, object_id, SUM(amount_ore) AS amount_ore
FROM moved
GROUP BY period, account, dimension_no, object_id;
