INSERT INTO outbox_transitions (outbox_id, at, from_state, to_state, actor, note)
VALUES (:outbox_id, :at, :from_state, :to_state, :actor, :note);
