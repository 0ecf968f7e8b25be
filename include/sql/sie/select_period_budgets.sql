-- #PBUDGET of one year index as the year's SIE source states them (the budget of every period, whatever
-- the file's as-of date); dimension 0 is the row without objects.
SELECT period, account, dimension_no, object_id, amount_ore
FROM raw_sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = :year_index
  AND balance_type = 'BUDGET'
ORDER BY period, dimension_no, LENGTH(account), account, object_id;
