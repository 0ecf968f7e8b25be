-- The object list of a voucher row that raw_voucher_rows' cost_center (dimension 1) and project
-- (dimension 6) cannot say alone: objects of any other dimension (2 kostnadsbärare, 7 anställd,
-- 8 kund, 9 leverantör, 10 faktura, 20 and up the user's ...), or 1 and 6 in another order or twice.
-- Such a row's whole list is here, in the source's order; its cost_center and project still hold its
-- dimension 1 and 6 objects. A row with none of these has no line here (every row Fortnox writes).
CREATE TABLE IF NOT EXISTS raw_voucher_row_objects (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    voucher_series      VARCHAR(10) NOT NULL,
    voucher_number      INTEGER NOT NULL,
    row_no              INTEGER NOT NULL,
    position            INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           TEXT NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, voucher_series, voucher_number, row_no, position)
);
