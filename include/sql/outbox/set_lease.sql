-- Take, renew or give up the lease; only its holder (or anyone, once it ran out) may.
UPDATE outbox_export_leases SET holder = :new_holder, expires_at = :expires_at
WHERE client_key = :client_key AND (holder IS NULL OR holder = :holder OR expires_at < :now)
