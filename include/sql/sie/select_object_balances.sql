-- #OIB before #OUB, as Fortnox lists them.
SELECT balance_type, account, dimension_no, object_id, amount_ore
FROM sie_object_balances
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY LENGTH(account), account, dimension_no, object_id, balance_type;
