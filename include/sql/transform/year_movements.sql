-- The year's counted rows (not Removed, #BTRANS) summed by month, account and object list, read once
-- for #IB #UB #RES, #OIB #OUB and #PSALDO alike (a year has a million rows but a few thousand such
-- groups). The period is the voucher's month, worked out once per day and account, not once per row;
-- a row whose voucher head is missing has no period but still counts in the year's balances.
-- CREATE TABLE AS, not INSERT: PostgreSQL reads the rows with parallel workers only for the former.
CREATE TEMPORARY TABLE year_movements AS
WITH daily AS (
    SELECT v.transaction_date AS voucher_date, r.account, r.cost_center, r.project,
           SUM(r.debit_ore - r.credit_ore) AS amount_ore
    FROM raw_voucher_rows r
    LEFT JOIN raw_vouchers v
      ON v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id
     AND v.voucher_series = r.voucher_series AND v.voucher_number = r.voucher_number
    WHERE r.client_key = :client_key AND r.financial_year_id = :financial_year_id AND NOT r.removed
    GROUP BY v.transaction_date, r.account, r.cost_center, r.project
),
by_period AS (
    SELECT SUBSTR(CAST(voucher_date AS VARCHAR(10)), 1, 4) || SUBSTR(CAST(voucher_date AS VARCHAR(10)), 6, 2)
           AS period, account, cost_center, project, amount_ore
    FROM daily
)
SELECT period, account, cost_center, project, SUM(amount_ore) AS amount_ore
FROM by_period
GROUP BY period, account, cost_center, project;
