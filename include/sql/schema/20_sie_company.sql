-- SIE4 company records: #FNR #ORGNR #FNAMN #ADRESS #KPTYP.
CREATE TABLE IF NOT EXISTS sie_company (
    client_key          VARCHAR(40) PRIMARY KEY,
    fnr                 TEXT,
    orgnr               VARCHAR(20) NOT NULL,
    fnamn               TEXT NOT NULL,
    adress_street       TEXT,
    adress_postal       TEXT,
    adress_phone        TEXT
);

-- The header records of a client-year that are copied from its SIE source as they were written:
-- #PROSA #FTYP #ADRESS #TAXAR #KPTYP #VALUTA (fields in SIE notation).
CREATE TABLE IF NOT EXISTS sie_headers (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    position            INTEGER NOT NULL,
    label               VARCHAR(20) NOT NULL,
    fields              TEXT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, position)
);
