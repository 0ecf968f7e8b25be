-- The {object list} of each SIE4 transaction row: one row per dimension.
CREATE TABLE IF NOT EXISTS sie_transaction_objects (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    series              VARCHAR(10) NOT NULL,
    number              INTEGER NOT NULL,
    row_no              INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           VARCHAR(40) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, series, number, row_no, dimension_no)
);
