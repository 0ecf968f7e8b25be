-- SIE4 #DIM and #OBJEKT of one financial year.
CREATE TABLE IF NOT EXISTS sie_dimensions (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    name                TEXT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, dimension_no)
);
CREATE TABLE IF NOT EXISTS sie_objects (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           VARCHAR(40) NOT NULL,
    name                TEXT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, dimension_no, object_id)
);
