-- Every change of an outbox voucher's state: who, when, and why.
CREATE TABLE IF NOT EXISTS outbox_transitions (
    outbox_id           VARCHAR(20) NOT NULL,
    at                  VARCHAR(32) NOT NULL,
    from_state          VARCHAR(10),
    to_state            VARCHAR(10) NOT NULL,
    actor               VARCHAR(100) NOT NULL,
    note                TEXT
);
CREATE INDEX IF NOT EXISTS outbox_transitions_by_voucher ON outbox_transitions (outbox_id, at);
