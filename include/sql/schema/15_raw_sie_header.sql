-- The header records of a client-year's SIE file (#ADRESS #KPTYP #PROSA ...) as the file wrote them:
-- `fields` holds the record's fields in SIE notation, quoted as our writer quotes them.
CREATE TABLE IF NOT EXISTS raw_sie_header (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    position            INTEGER NOT NULL,
    label               VARCHAR(20) NOT NULL,
    fields              TEXT NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, position)
);
