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
