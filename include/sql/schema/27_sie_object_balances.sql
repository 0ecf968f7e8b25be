-- SIE4 #OIB #OUB: balance accounts' opening and closing balance per single object, in öre.
CREATE TABLE IF NOT EXISTS sie_object_balances (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    balance_type        VARCHAR(3) NOT NULL,
    account             VARCHAR(20) NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           VARCHAR(40) NOT NULL,
    amount_ore          BIGINT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, balance_type, account, dimension_no, object_id)
);
