-- #KONTO #KTYP #SRU #ENHET. The account type is the source's #KTYP; without one it follows the BAS class
-- of the account's first digit: 1 assets (T), 2 equity and liabilities (S), 3 income (I), 4-7 costs (K),
-- 8 financial items: 80-83 income, 84-89 costs; 0 and 9, which BAS leaves to statistics and internal
-- accounts, costs (as rules.bas_account_type says).
DELETE FROM sie_accounts WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_accounts (client_key, financial_year_id, account, name, account_type, sru, unit)
SELECT client_key, financial_year_id, account, description,
       CASE
           WHEN account_type IS NOT NULL THEN account_type
           WHEN SUBSTR(account, 1, 1) = '1' THEN 'T'
           WHEN SUBSTR(account, 1, 1) = '2' THEN 'S'
           WHEN SUBSTR(account, 1, 1) = '3' OR SUBSTR(account, 1, 2) IN ('80', '81', '82', '83') THEN 'I'
           ELSE 'K'
       END,
       sru, unit
FROM raw_accounts
WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
