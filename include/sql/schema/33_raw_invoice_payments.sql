-- /3/invoicepayments: customer payments in SEK (Amount), from the extraction window's start onwards,
-- plus every payment of an older invoice that was still open.
CREATE TABLE IF NOT EXISTS raw_invoice_payments (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    payment_number      BIGINT NOT NULL,
    invoice_number      BIGINT NOT NULL,
    payment_date        DATE NOT NULL,
    amount_ore          BIGINT NOT NULL,
    currency            VARCHAR(3),
    booked              BOOLEAN NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, period_end, payment_number)
);
