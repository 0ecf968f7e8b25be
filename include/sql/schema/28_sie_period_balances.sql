-- SIE4 #PSALDO: the period's change on the account (SIE 4B), without objects (dimension 0, object '')
-- and per single object. Built from the vouchers for a sync; an imported file's own figures as it states
-- them. Only periods in which the account moved have a row.
CREATE TABLE IF NOT EXISTS sie_period_balances (
    client_key          VARCHAR(40) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    period              VARCHAR(6) NOT NULL,
    account             VARCHAR(20) NOT NULL,
    dimension_no        INTEGER NOT NULL,
    object_id           VARCHAR(40) NOT NULL,
    amount_ore          BIGINT NOT NULL,
    PRIMARY KEY (client_key, financial_year_id, period, account, dimension_no, object_id)
);
