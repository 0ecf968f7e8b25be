-- SIE4 #VER heads of one financial year.
CREATE TABLE IF NOT EXISTS sie_vouchers (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    series              VARCHAR(10) NOT NULL,
    number              INTEGER NOT NULL,
    voucher_date        DATE NOT NULL,
    registration_date   DATE,
    voucher_text        TEXT,
    PRIMARY KEY (client_key, financial_year_id, series, number)
);
