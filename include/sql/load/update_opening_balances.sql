-- The year's opening balance of an account from the SIE export's #IB: Fortnox's account list does
-- not carry BalanceBroughtForward (only the single account does).
UPDATE raw_accounts
SET balance_brought_forward_ore = :balance_brought_forward_ore
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND account = :account
