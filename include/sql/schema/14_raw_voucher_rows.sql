-- The rows of each voucher, in Fortnox's order. Removed rows are kept: they are history, written
-- to SIE as #BTRANS, and never counted in balances; rows added after registration become #RTRANS.
CREATE TABLE IF NOT EXISTS raw_voucher_rows (
    client_key              VARCHAR(40) NOT NULL,
    financial_year_id       INTEGER NOT NULL,
    voucher_series          VARCHAR(10) NOT NULL,
    voucher_number          INTEGER NOT NULL,
    row_no                  INTEGER NOT NULL,
    account                 VARCHAR(20) NOT NULL,
    debit_ore               BIGINT NOT NULL,
    credit_ore              BIGINT NOT NULL,
    description             TEXT,
    transaction_information TEXT,
    cost_center             TEXT,
    project                 TEXT,
    quantity                NUMERIC(18, 4),
    removed                 BOOLEAN NOT NULL,
    added_after_registration BOOLEAN NOT NULL,
    load_id                 VARCHAR(36) NOT NULL,
    loaded_at               VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, voucher_series, voucher_number, row_no)
);

-- A SIE source's own date of the row (#TRANS transdat) and who entered it (sign), when it gives them; NULL
-- where it does not (the row is of its voucher's date), as in every row from Fortnox's /3/vouchers.
ALTER TABLE raw_voucher_rows ADD COLUMN row_date DATE;
ALTER TABLE raw_voucher_rows ADD COLUMN signature TEXT;
