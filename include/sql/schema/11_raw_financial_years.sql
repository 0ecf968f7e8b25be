-- /3/financialyears: every financial year of the client's Fortnox company.
CREATE TABLE IF NOT EXISTS raw_financial_years (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    from_date           DATE NOT NULL,
    to_date             DATE NOT NULL,
    account_chart_type  TEXT,
    accounting_method   TEXT,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id)
);
