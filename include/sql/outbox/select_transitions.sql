SELECT t.outbox_id, t.at, t.from_state, t.to_state, t.actor, t.note
FROM outbox_transitions t
WHERE EXISTS (SELECT 1 FROM outbox_vouchers v WHERE v.outbox_id = t.outbox_id AND v.client_key = :client_key)
ORDER BY t.at
