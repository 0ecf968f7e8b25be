-- #PSALDO from the counted rows (not Removed, #BTRANS) by the voucher's month: the period's change on
-- the account (SIE 4B: "periodens förändring på kontot"), for balance and result accounts alike, without
-- objects and per single object of every dimension. A year's rows add up to UB - IB or RES.
-- The movements are summed from year_movements and year_object_movements, not from the raw rows; a row
-- whose voucher head is missing has no period and no #PSALDO.
DELETE FROM sie_period_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_period_balances (client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore)
WITH by_period AS (
    SELECT period, account, cost_center, project, amount_ore
    FROM year_movements
    WHERE period IS NOT NULL
)
SELECT :client_key, :financial_year_id, period, account, 0, '', SUM(amount_ore)
FROM by_period GROUP BY period, account
UNION ALL
SELECT :client_key, :financial_year_id, period, account, 1, cost_center, SUM(amount_ore)
FROM by_period WHERE cost_center <> '' GROUP BY period, account, cost_center
UNION ALL
SELECT :client_key, :financial_year_id, period, account, 6, project, SUM(amount_ore)
FROM by_period WHERE project <> '' GROUP BY period, account, project
UNION ALL
SELECT :client_key, :financial_year_id, period, account, dimension_no, object_id, amount_ore
FROM year_object_movements WHERE period IS NOT NULL;
