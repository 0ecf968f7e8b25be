-- #KONTO #KTYP #SRU #ENHET. The account type is the source's #KTYP; without one it follows the BAS
-- classes: 1 assets (T), 2 equity and liabilities (S), 3 income (I), 4-7 costs (K), 8 financial items:
-- 80-83 income, 84-89 costs.
DELETE FROM sie_accounts WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_accounts (client_key, financial_year_id, account, name, account_type, sru, unit)
SELECT client_key, financial_year_id, account, description,
       CASE
           WHEN account_type IS NOT NULL THEN account_type
           WHEN account < 2000 THEN 'T'
           WHEN account < 3000 THEN 'S'
           WHEN account < 4000 THEN 'I'
           WHEN account BETWEEN 8000 AND 8399 THEN 'I'
           ELSE 'K'
       END,
       sru, unit
FROM raw_accounts
WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
