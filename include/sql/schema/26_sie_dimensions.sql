-- SIE4 #DIM, #UNDERDIM and #OBJEKT of one financial year.
CREATE TABLE IF NOT EXISTS sie_dimensions (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    name                TEXT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, dimension_no)
);
-- #UNDERDIM: the dimension it is under; NULL for a #DIM.
ALTER TABLE sie_dimensions ADD COLUMN parent_dimension_no INTEGER;

CREATE TABLE IF NOT EXISTS sie_objects (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           VARCHAR(40) NOT NULL,
    name                TEXT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, dimension_no, object_id)
);
