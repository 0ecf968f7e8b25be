-- An imported SIE file's own #IB #UB #RES, #PSALDO, #OIB and #OUB of its year (year index 0), of every
-- dimension and list of objects, kept as the file states them in place of the ones built from its vouchers:
-- books that do not add up are taken over as they are, and the checks report where (closing_balances,
-- result_balances, period_balances). A kind of record the file does not state keeps the built ones.
DELETE FROM sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
  AND balance_type IN (SELECT balance_type FROM raw_sie_balances
                       WHERE client_key = :client_key AND financial_year_id = :financial_year_id
                         AND year_index = 0 AND balance_type IN ('IB', 'UB', 'RES'));
INSERT INTO sie_balances (client_key, financial_year_id, balance_type, account, amount_ore)
SELECT client_key, financial_year_id, balance_type, account, amount_ore
FROM raw_sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = 0
  AND balance_type IN ('IB', 'UB', 'RES') AND dimension_no = 0;
DELETE FROM sie_period_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
  AND EXISTS (SELECT 1 FROM raw_sie_balances
              WHERE client_key = :client_key AND financial_year_id = :financial_year_id
                AND year_index = 0 AND balance_type = 'PSALDO');
INSERT INTO sie_period_balances (client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore)
SELECT client_key, financial_year_id, period, account, dimension_no, object_id, amount_ore
FROM raw_sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = 0
  AND balance_type = 'PSALDO';
DELETE FROM sie_object_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
  AND balance_type IN (SELECT balance_type FROM raw_sie_balances
                       WHERE client_key = :client_key AND financial_year_id = :financial_year_id
                         AND year_index = 0 AND balance_type IN ('OIB', 'OUB'));
INSERT INTO sie_object_balances (client_key, financial_year_id, balance_type, account, dimension_no, object_id, amount_ore)
SELECT client_key, financial_year_id, balance_type, account, dimension_no, object_id, amount_ore
FROM raw_sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND year_index = 0
  AND balance_type IN ('OIB', 'OUB');
