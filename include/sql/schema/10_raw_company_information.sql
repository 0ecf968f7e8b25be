-- /3/companyinformation as Fortnox returned it, one row per client.
CREATE TABLE IF NOT EXISTS raw_company_information (
    client_key          VARCHAR(40) PRIMARY KEY,
    company_name        TEXT NOT NULL,
    organisation_number VARCHAR(20) NOT NULL,
    database_number     BIGINT,
    address             TEXT,
    zip_code            TEXT,
    city                TEXT,
    phone               TEXT,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL
);
