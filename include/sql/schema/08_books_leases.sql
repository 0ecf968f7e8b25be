-- Who is writing a client-year's books: a sync's load or a `sie import`. They exclude each other, so a
-- sync never plans on books an import replaces before it commits, and the recorded source stays true.
-- The year is named by its first day, which a sync and a SIE file both know before anything is written.
-- A lease that runs out (its holder died) may be taken over; the old holder's commit is then refused.
CREATE TABLE IF NOT EXISTS books_leases (
    client_key          VARCHAR(40) NOT NULL,
    year_start          VARCHAR(10) NOT NULL,
    holder              VARCHAR(36),
    held_by             TEXT,
    held_since          DOUBLE PRECISION,
    expires_at          DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (client_key, year_start)
);
