-- Customer and supplier ledgers against their control accounts (1510, 2440) at the period end, as
-- the ledger step reconciled them; one row per ledger, the check reads difference_ore.
SELECT ledger, control_account, open_items, ledger_open_ore, account_balance_ore, difference_ore, explained_ore
FROM ledger_reconciliation
WHERE client_key = :client_key AND period_end = :period_end
ORDER BY ledger
