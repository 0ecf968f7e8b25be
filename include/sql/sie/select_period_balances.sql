-- #PSALDO up to and including the last period asked for (YYYYMM); dimension 0 is the row without objects.
SELECT period, account, dimension_no, object_id, amount_ore
FROM sie_period_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND period <= :last_period
ORDER BY period, dimension_no, LENGTH(account), account, object_id;
