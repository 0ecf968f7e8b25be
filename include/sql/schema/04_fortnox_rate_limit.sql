-- The installation-wide request budget per Fortnox tenant: one row to lock per tenant, and the
-- time of every request in the last window. Shared by every process that talks to Fortnox.
CREATE TABLE IF NOT EXISTS fortnox_rate_limit_tenants (
    tenant_id           BIGINT PRIMARY KEY,
    locked_at           DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS fortnox_request_times (
    tenant_id           BIGINT NOT NULL,
    requested_at        DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS fortnox_request_times_tenant ON fortnox_request_times (tenant_id, requested_at);
