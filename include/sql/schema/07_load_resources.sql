-- Per load and resource: what each Fortnox resource cost and brought, and the cursor the next
-- incremental run of the client-year starts from. Written in the same transaction as the rows,
-- so a cursor never points past data that did not land.
CREATE TABLE IF NOT EXISTS load_resources (
    load_id             VARCHAR(36) NOT NULL,
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER,         -- NULL for the ledgers, which are loaded per period end
    period_end          DATE,            -- NULL for a financial year's bookkeeping
    resource            VARCHAR(60) NOT NULL,
    path                VARCHAR(12) NOT NULL,  -- 'full' or 'incremental'
    requests            INTEGER NOT NULL,
    rows_loaded         INTEGER NOT NULL,
    seconds             NUMERIC(10, 3) NOT NULL,
    -- Fortnox's lastmodified ("YYYY-MM-DD HH:MM", Swedish time) for the next incremental run.
    next_cursor         VARCHAR(16),
    finished_at         VARCHAR(32) NOT NULL,
    PRIMARY KEY (load_id, resource)
);
