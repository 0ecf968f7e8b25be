-- Voucher heads of one financial year: from Fortnox's SIE export, with the reference fields
-- that only the /3/vouchers list carries.
CREATE TABLE IF NOT EXISTS raw_vouchers (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    voucher_series      VARCHAR(10) NOT NULL,
    voucher_number      INTEGER NOT NULL,
    transaction_date    DATE NOT NULL,
    registration_date   DATE,
    description         TEXT,
    reference_number    TEXT,
    reference_type      TEXT,
    comments            TEXT,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, voucher_series, voucher_number)
);

-- Who registered the voucher (#VER sign), when its SIE source says.
ALTER TABLE raw_vouchers ADD COLUMN signature TEXT;
