-- Serialise the budget check of one tenant across processes (row lock on PostgreSQL; on SQLite the
-- transaction already holds the write lock).
UPDATE fortnox_rate_limit_tenants SET locked_at = :now WHERE tenant_id = :tenant_id;
