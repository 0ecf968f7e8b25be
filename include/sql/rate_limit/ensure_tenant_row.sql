INSERT INTO fortnox_rate_limit_tenants (tenant_id, locked_at) VALUES (:tenant_id, :now)
ON CONFLICT (tenant_id) DO NOTHING;
