-- The balance dates the client's raw ledger tables hold an extraction for, and from which date on
-- each extraction's invoice and payment lists are complete (older invoices only if open or paid later).
-- Every raw ledger table is partitioned by period_end, so periods of one client (a backfill runs
-- several at once) never see each other's extraction.
CREATE TABLE IF NOT EXISTS raw_ledger_extracts (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    complete_from       DATE NOT NULL,
    requests            INTEGER NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, period_end)
);
