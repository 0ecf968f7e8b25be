-- #DIM, #UNDERDIM and #OBJEKT of a client-year's SIE file (Fortnox: 1 cost centres, 6 projects; other
-- programs any dimension). A #UNDERDIM is a dimension with the dimension it is under as its parent.
CREATE TABLE IF NOT EXISTS raw_sie_dimensions (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    name                TEXT NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, dimension_no)
);
ALTER TABLE raw_sie_dimensions ADD COLUMN parent_dimension_no INTEGER;

CREATE TABLE IF NOT EXISTS raw_sie_objects (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           VARCHAR(40) NOT NULL,
    name                TEXT NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, dimension_no, object_id)
);
