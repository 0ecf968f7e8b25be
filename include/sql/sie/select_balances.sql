-- IB before UB before RES, as SIE files list them.
SELECT balance_type, account, amount_ore
FROM sie_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY CASE balance_type WHEN 'IB' THEN 1 WHEN 'UB' THEN 2 ELSE 3 END, LENGTH(account), account;
