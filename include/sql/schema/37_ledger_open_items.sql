-- Customer and supplier invoices open at a balance date, rebuilt from invoices and payments.
-- Amounts in öre and positive for what is owed: customers to the client (ledger 'customer'), the client
-- to suppliers (ledger 'supplier'). days_overdue = period_end - due_date; ageing_bucket is one of
-- not_due, 1-30, 31-60, 61-90, over_90. invoice_number is the supplier invoice's given number.
CREATE TABLE IF NOT EXISTS ledger_open_items (
    client_key                  VARCHAR(40) NOT NULL,
    period_end                  DATE NOT NULL,
    ledger                      VARCHAR(8) NOT NULL,
    invoice_number              BIGINT NOT NULL,
    external_invoice_number     TEXT,
    party_number                VARCHAR(50),
    party_name                  TEXT,
    invoice_date                DATE NOT NULL,
    due_date                    DATE,
    total_ore                   BIGINT NOT NULL,
    paid_by_period_end_ore      BIGINT NOT NULL,
    open_ore                    BIGINT NOT NULL,
    paid_after_period_end_ore   BIGINT NOT NULL,
    last_payment_after_date     DATE,
    payments_after_period_end   TEXT,
    days_overdue                INTEGER,
    ageing_bucket               VARCHAR(8) NOT NULL,
    PRIMARY KEY (client_key, period_end, ledger, invoice_number)
);
