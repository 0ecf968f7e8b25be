-- SIE4 rows of each voucher: record_type TRANS, BTRANS (removed in Fortnox: not counted) or RTRANS
-- (added after registration: counted, and written with its #TRANS copy for older readers).
CREATE TABLE IF NOT EXISTS sie_transactions (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    series              VARCHAR(10) NOT NULL,
    number              INTEGER NOT NULL,
    row_no              INTEGER NOT NULL,
    record_type         VARCHAR(6) NOT NULL,
    account             INTEGER NOT NULL,
    amount_ore          BIGINT NOT NULL,
    trans_text          TEXT,
    quantity            NUMERIC(18, 4),
    PRIMARY KEY (client_key, financial_year_id, series, number, row_no)
);
