-- The control account's opening balance of the financial year (debit positive), 0 if the account is absent.
SELECT COALESCE(SUM(balance_brought_forward_ore), 0) AS opening_ore
FROM raw_accounts
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND account = :account;
