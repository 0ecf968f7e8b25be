-- An imported SIE file's own #PSALDO of its year (year index 0), with and without objects, kept as the
-- file states them in place of the ones built from its vouchers (checks/period_balances.sql reports
-- where they disagree). A file that states none keeps the built ones.
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
