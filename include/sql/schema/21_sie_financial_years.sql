-- SIE4 #RAR: the client's financial years; the year index is relative to the exported year.
CREATE TABLE IF NOT EXISTS sie_financial_years (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    start_date          DATE NOT NULL,
    end_date            DATE NOT NULL,
    kptyp               TEXT,
    PRIMARY KEY (client_key, financial_year_id)
);
