-- /3/accounts?financialyear=: the chart of accounts of one financial year.
-- Amounts are whole öre (BIGINT): exact sums on both databases, no floating point.
-- Account numbers and SRU codes are text, as SIE files write them (0351 is not 351); in the other
-- books tables too.
CREATE TABLE IF NOT EXISTS raw_accounts (
    client_key                  VARCHAR(40) NOT NULL,
    financial_year_id           INTEGER NOT NULL,
    account                     VARCHAR(20) NOT NULL,
    description                 TEXT NOT NULL,
    active                      BOOLEAN NOT NULL,
    -- the #SRU codes, one per line (BL writes one for each tax form)
    sru                         TEXT,
    vat_code                    TEXT,
    balance_brought_forward_ore BIGINT NOT NULL,
    load_id                     VARCHAR(36) NOT NULL,
    loaded_at                   VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, account)
);

-- The account's type (#KTYP T S K I) and unit (#ENHET) as its SIE source states them; NULL when it does not
-- (the type then follows the BAS class).
ALTER TABLE raw_accounts ADD COLUMN account_type VARCHAR(1);
ALTER TABLE raw_accounts ADD COLUMN unit TEXT;
-- An account the SIE source uses but does not declare with #KONTO, created as SIE says an importer does.
ALTER TABLE raw_accounts ADD COLUMN undeclared BOOLEAN NOT NULL DEFAULT FALSE;
