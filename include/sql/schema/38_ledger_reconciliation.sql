-- Each ledger against its control account at the balance date. account_balance_ore carries the
-- ledger's sign: 1510 as its debit balance, 2440 as its credit balance shown positive (what is owed
-- to suppliers), so difference_ore = ledger_open_ore - account_balance_ore and 0 means reconciled.
-- explained_ore is the sum of the ledger_differences lines found for the difference.
CREATE TABLE IF NOT EXISTS ledger_reconciliation (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    ledger              VARCHAR(8) NOT NULL,
    control_account     INTEGER NOT NULL,
    open_items          INTEGER NOT NULL,
    ledger_open_ore     BIGINT NOT NULL,
    account_balance_ore BIGINT NOT NULL,
    difference_ore      BIGINT NOT NULL,
    explained_ore       BIGINT NOT NULL,
    built_at            VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, period_end, ledger)
);
