-- SIE4 #IB #UB (balance accounts) and #RES (result accounts) of one financial year, in öre.
CREATE TABLE IF NOT EXISTS sie_balances (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    balance_type        VARCHAR(3) NOT NULL,
    account             VARCHAR(20) NOT NULL,
    amount_ore          BIGINT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, balance_type, account)
);
