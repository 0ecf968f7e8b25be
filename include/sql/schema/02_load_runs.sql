-- One row per extraction of a client's financial year: its requests, and what staging holds of the
-- year after it (an incremental load adds to what earlier loads staged).
CREATE TABLE IF NOT EXISTS load_runs (
    load_id             VARCHAR(36) PRIMARY KEY,
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    started_at          VARCHAR(32) NOT NULL,
    finished_at         VARCHAR(32) NOT NULL,
    requests            INTEGER NOT NULL,
    accounts            INTEGER NOT NULL,
    vouchers            INTEGER NOT NULL,
    voucher_rows        INTEGER NOT NULL,
    -- What Fortnox said it had (@TotalResources of its lists), to check that nothing was lost.
    fortnox_accounts_reported INTEGER,
    fortnox_vouchers_reported INTEGER
);
