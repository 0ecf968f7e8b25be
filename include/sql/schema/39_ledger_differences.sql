-- What explains a ledger's difference from its control account: one line per invoice (its invoice
-- or its payments), voucher without an invoice, or the opening balance. Amounts in the ledger's
-- sign; difference_ore = ledger_ore - booked_ore, and the lines add up to the reconciliation's
-- difference when everything was found.
CREATE TABLE IF NOT EXISTS ledger_differences (
    client_key          VARCHAR(40) NOT NULL,
    period_end          DATE NOT NULL,
    ledger              VARCHAR(8) NOT NULL,
    line_no             INTEGER NOT NULL,
    kind                VARCHAR(30) NOT NULL,
    invoice_number      BIGINT,
    party_name          TEXT,
    vouchers            TEXT,
    ledger_ore          BIGINT NOT NULL,
    booked_ore          BIGINT NOT NULL,
    difference_ore      BIGINT NOT NULL,
    explanation         TEXT NOT NULL,
    PRIMARY KEY (client_key, period_end, ledger, line_no)
);
