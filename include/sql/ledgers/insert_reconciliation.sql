INSERT INTO ledger_reconciliation (
    client_key, period_end, ledger, control_account, open_items, ledger_open_ore, account_balance_ore,
    difference_ore, explained_ore, built_at
) VALUES (
    :client_key, :period_end, :ledger, :control_account, :open_items, :ledger_open_ore, :account_balance_ore,
    :difference_ore, :explained_ore, :built_at
);
