-- PostgreSQL only (SQLite's BEGIN IMMEDIATE already lets one writer in at a time): runs creating the
-- schema at once wait for each other, held until the transaction ends. CREATE TABLE IF NOT EXISTS is no
-- guard against a table another transaction is creating at that moment: the second fails on a duplicate key.
-- The key is any constant of ours; it spells "fnxschem".
SELECT pg_advisory_xact_lock(7380969276291179885);
