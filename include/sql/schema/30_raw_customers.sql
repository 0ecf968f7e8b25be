-- /3/customers: the client's customer register, replaced whole by each ledger extraction.
CREATE TABLE IF NOT EXISTS raw_customers (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    customer_number     VARCHAR(50) NOT NULL,
    name                TEXT NOT NULL,
    organisation_number VARCHAR(20),
    city                TEXT,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, period_end, customer_number)
);
