-- Move a voucher from one state to the next, only if it is still in the expected state: two
-- processes cannot both make the same move (the loser's update changes no row).
UPDATE outbox_vouchers
SET state = :to_state, reason = :reason, posting_started_at = :posting_started_at,
    financial_year_id = COALESCE(:financial_year_id, financial_year_id),
    fortnox_series = :fortnox_series, fortnox_number = :fortnox_number
WHERE outbox_id = :outbox_id AND client_key = :client_key AND state = :from_state
