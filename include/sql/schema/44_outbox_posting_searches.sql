-- Where to look for an outbox voucher in Fortnox when the answer to its POST never came.
-- Fortnox numbers a series' vouchers one after the other in a year, so a voucher posted after
-- number N of its series is N+1, N+2, ...: read one by one (GET /3/vouchers/{series}/{number}),
-- never by a time filter, so our clock and Fortnox's need not agree.
CREATE TABLE IF NOT EXISTS outbox_posting_searches (
    outbox_id           VARCHAR(20) PRIMARY KEY,
    voucher_series      VARCHAR(10) NOT NULL,
    financial_year_id   INTEGER NOT NULL,
    searched_through    INTEGER NOT NULL,  -- every number of the series up to this one is another voucher
    missed_searches     INTEGER NOT NULL   -- searches of the current attempt that reached the series' end without it
);
