CREATE TABLE IF NOT EXISTS outbox_voucher_rows (
    outbox_id           VARCHAR(20) NOT NULL,
    row_no              INTEGER NOT NULL,
    account             INTEGER NOT NULL,
    debit_ore           BIGINT NOT NULL,
    credit_ore          BIGINT NOT NULL,
    cost_center         VARCHAR(20),
    project             VARCHAR(20),
    row_text            VARCHAR(100),
    PRIMARY KEY (outbox_id, row_no)
);
