-- The previous year of an imported SIE file when staging holds nothing else of it: its #IB #UB #RES
-- #OIB #OUB #PSALDO (year index -1) are taken as the file states them, for the file's comparatives.
DELETE FROM sie_balances WHERE client_key = :client_key AND financial_year_id = :previous_year_id;
DELETE FROM sie_object_balances WHERE client_key = :client_key AND financial_year_id = :previous_year_id;
DELETE FROM sie_period_balances WHERE client_key = :client_key AND financial_year_id = :previous_year_id;
INSERT INTO sie_balances (client_key, financial_year_id, balance_type, account, amount_ore)
SELECT client_key, :previous_year_id, balance_type, account, amount_ore
FROM raw_sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = -1
  AND balance_type IN ('IB', 'UB', 'RES') AND dimension_no = 0;
INSERT INTO sie_object_balances (client_key, financial_year_id, balance_type, account, dimension_no, object_id, amount_ore)
SELECT client_key, :previous_year_id, balance_type, account, dimension_no, object_id, amount_ore
FROM raw_sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = -1
  AND balance_type IN ('OIB', 'OUB');
INSERT INTO sie_period_balances (client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore)
SELECT client_key, :previous_year_id, period, account, dimension_no, object_id, amount_ore
FROM raw_sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = -1
  AND balance_type = 'PSALDO';
