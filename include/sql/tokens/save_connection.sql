-- A new consent replaces whatever was stored for the client.
INSERT INTO fortnox_tokens (
    client_key, tenant_id, service_account, scope, access_token_enc, access_expires_at, refresh_token_enc, refresh_expires_at,
    connected_at, last_refresh_at, last_error
) VALUES (
    :client_key, :tenant_id, :service_account, :scope, :access_token_enc, :access_expires_at, :refresh_token_enc, :refresh_expires_at,
    :now, NULL, NULL
)
ON CONFLICT (client_key) DO UPDATE SET
    tenant_id = excluded.tenant_id,
    service_account = excluded.service_account,
    scope = excluded.scope,
    access_token_enc = excluded.access_token_enc,
    access_expires_at = excluded.access_expires_at,
    refresh_token_enc = excluded.refresh_token_enc,
    refresh_expires_at = excluded.refresh_expires_at,
    connected_at = excluded.connected_at,
    last_refresh_at = NULL,
    last_error = NULL,
    refresh_lease_owner = NULL,
    refresh_lease_until = NULL,
    refresh_started_at = NULL;
