-- Which balance date the client's raw ledger tables were extracted for, and from which date on
-- the invoice and payment lists are complete (older invoices are there only if open or paid later).
CREATE TABLE IF NOT EXISTS raw_ledger_extracts (
    client_key          VARCHAR(40) PRIMARY KEY,
    period_end          DATE NOT NULL,
    complete_from       DATE NOT NULL,
    requests            INTEGER NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL
);
