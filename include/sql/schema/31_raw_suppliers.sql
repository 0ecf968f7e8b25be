-- /3/suppliers: the client's supplier register, replaced whole by each ledger extraction.
CREATE TABLE IF NOT EXISTS raw_suppliers (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    supplier_number     VARCHAR(50) NOT NULL,
    name                TEXT NOT NULL,
    organisation_number VARCHAR(20),
    city                TEXT,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, period_end, supplier_number)
);
