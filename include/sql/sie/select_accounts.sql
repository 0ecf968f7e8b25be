-- Accounts are text, as written (0351); by length first they come in numeric order.
SELECT account, name, account_type, sru, unit
FROM sie_accounts
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY LENGTH(account), account;
