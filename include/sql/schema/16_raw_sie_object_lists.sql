-- The object lists of several objects on a SIE source's balance lines (#OIB #OUB #PSALDO #PBUDGET with
-- {1 "100" 6 "P1"}: the balance of what carries every one of them). raw_sie_balances and the balance
-- tables built from it key such a line by dimension_no -1 and, as object_id, its list's key here: the same
-- list has the same key in any year. The list's objects are in the source's order. A line with one object
-- or none is keyed by that object as it is.
CREATE TABLE IF NOT EXISTS raw_sie_object_lists (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    list_key            VARCHAR(40) NOT NULL,
    position            INTEGER NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           TEXT NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, list_key, position)
);
