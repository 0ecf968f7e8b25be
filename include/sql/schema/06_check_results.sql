-- The checks that gate a client's period: one row per check, client, financial year and period end.
-- A rerun of the period replaces its rows. status is passed, failed or not_run (the check's input is
-- not there, e.g. a table another step has not built); passed repeats status = 'passed' for reports.
-- message and details are the task log's words (English, for the operator); facts is the same finding
-- as JSON data (amounts in öre, dates ISO), which the period report words in Swedish for the accountant.
CREATE TABLE IF NOT EXISTS check_results (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    period_end          DATE NOT NULL,
    check_name          VARCHAR(60) NOT NULL,
    severity            VARCHAR(7) NOT NULL,
    status              VARCHAR(7) NOT NULL,
    passed              BOOLEAN NOT NULL,
    message             TEXT NOT NULL,
    details             TEXT NOT NULL,
    checked_at          VARCHAR(32) NOT NULL,
    facts               TEXT,
    PRIMARY KEY (client_key, financial_year_id, period_end, check_name)
);
-- For staging databases made before the column: create_schema runs this only where the column is missing.
ALTER TABLE check_results ADD COLUMN facts TEXT;
