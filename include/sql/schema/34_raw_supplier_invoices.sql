-- /3/supplierinvoices: supplier invoices dated up to the extraction's period end. given_number is
-- Fortnox's own running number (what payments and vouchers refer to), invoice_number the supplier's.
CREATE TABLE IF NOT EXISTS raw_supplier_invoices (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    given_number        BIGINT NOT NULL,
    invoice_number      TEXT,
    supplier_number     VARCHAR(50),
    supplier_name       TEXT,
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
    PRIMARY KEY (client_key, period_end, given_number)
);
