-- /3/invoices: customer invoices dated up to the extraction's period end (see raw_ledger_extracts).
-- total_ore is in SEK (Total × CurrencyRate / CurrencyUnit); balance_ore is Fortnox's balance on the
-- day of extraction, kept for reference only: open items are rebuilt from payments.
CREATE TABLE IF NOT EXISTS raw_invoices (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    invoice_number      BIGINT NOT NULL,
    customer_number     VARCHAR(50),
    customer_name       TEXT,
    invoice_date        DATE NOT NULL,
    due_date            DATE,
    currency            VARCHAR(3),
    total_ore           BIGINT NOT NULL,
    balance_ore         BIGINT,
    booked              BOOLEAN NOT NULL,
    cancelled           BOOLEAN NOT NULL,
    voucher_series      VARCHAR(10),
    voucher_number      INTEGER,
    voucher_year        INTEGER,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, period_end, invoice_number)
);
