-- The installation-wide request budget per Fortnox tenant: one row to lock per tenant, and every
-- request of the last window, stamped when it was let through and again when its answer came (Fortnox
-- counts it on arrival, somewhere between). Shared by every process that talks to Fortnox.
CREATE TABLE IF NOT EXISTS fortnox_rate_limit_tenants (
    tenant_id           BIGINT PRIMARY KEY,
    locked_at           DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS fortnox_request_times (
    request_id          VARCHAR(32) PRIMARY KEY,
    tenant_id           BIGINT NOT NULL,
    requested_at        DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS fortnox_request_times_tenant ON fortnox_request_times (tenant_id, requested_at);
