-- One export of a client posts at a time: the run holding the lease; a lease that runs out (its
-- holder died) may be taken over, and that run first looks for what the dead one may have posted.
CREATE TABLE IF NOT EXISTS outbox_export_leases (
    client_key          VARCHAR(40) PRIMARY KEY,
    holder              VARCHAR(36),
    expires_at          DOUBLE PRECISION NOT NULL
);
