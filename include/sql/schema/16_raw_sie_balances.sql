-- The balances a client-year's SIE file states (#IB #UB #RES #OIB #OUB #PSALDO #PBUDGET), for both year
-- indexes it carries: Fortnox's own figures, to compare with the ones we compute from the vouchers;
-- an imported file's #OIB #OUB #PSALDO and #PBUDGET (balance_type BUDGET) are written back as stated.
-- Keys cannot be NULL, so "no period" is '' and "no object" ({}) is dimension 0 with object ''; a list of
-- several objects is dimension -1 with its key in raw_sie_object_lists.
CREATE TABLE IF NOT EXISTS raw_sie_balances (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    year_index          INTEGER NOT NULL,
    balance_type        VARCHAR(6) NOT NULL,
    period              VARCHAR(6) NOT NULL,
    account             VARCHAR(20) NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           VARCHAR(40) NOT NULL,
    amount_ore          BIGINT NOT NULL,
    load_id             VARCHAR(36) NOT NULL,
    loaded_at           VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, year_index, balance_type, period, account, dimension_no, object_id)
);
