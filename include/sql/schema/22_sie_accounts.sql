-- SIE4 #KONTO #KTYP #SRU #ENHET of one financial year.
CREATE TABLE IF NOT EXISTS sie_accounts (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    account             VARCHAR(20) NOT NULL,
    name                TEXT NOT NULL,
    account_type        CHAR(1) NOT NULL,
    -- the #SRU codes, one per line (BL writes one for each tax form)
    sru                 TEXT,
    PRIMARY KEY (client_key, financial_year_id, account)
);

ALTER TABLE sie_accounts ADD COLUMN unit TEXT;
