-- Vouchers the bureau will post to a client's Fortnox, each with its state:
-- draft -> approved -> posting -> posted, or rejected, or failed (with the reason).
CREATE TABLE IF NOT EXISTS outbox_vouchers (
    outbox_id           VARCHAR(20) PRIMARY KEY,  -- stable; written into the voucher's Comments in Fortnox
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER,                  -- Fortnox's year of the date, once known
    voucher_series      VARCHAR(10) NOT NULL,
    transaction_date    DATE NOT NULL,
    description         VARCHAR(200) NOT NULL,
    source              TEXT NOT NULL,            -- the file and line it was added from
    content_sha256      VARCHAR(64) NOT NULL,     -- the same voucher added twice is refused
    state               VARCHAR(10) NOT NULL,
    reason              TEXT,                     -- why it failed, or why its outcome is not yet known
    posting_started_at  VARCHAR(32),              -- the current posting attempt: when its POST was last about to be sent
    fortnox_series      VARCHAR(10),
    fortnox_number      INTEGER,
    created_at          VARCHAR(32) NOT NULL,
    created_by          VARCHAR(100) NOT NULL,
    UNIQUE (client_key, content_sha256)
);
