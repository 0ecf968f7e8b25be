-- Take the client's export lease row for this transaction: a row lock on PostgreSQL; on SQLite the
-- transaction already holds the write lock (BEGIN IMMEDIATE). An UPDATE does both, portably.
UPDATE outbox_export_leases SET client_key = client_key WHERE client_key = :client_key
