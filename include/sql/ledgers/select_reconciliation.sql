SELECT control_account, open_items, ledger_open_ore, account_balance_ore, difference_ore, explained_ore
FROM ledger_reconciliation
WHERE client_key = :client_key AND period_end = :period_end AND ledger = :ledger;
