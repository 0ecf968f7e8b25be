SELECT outbox_id, client_key, financial_year_id, voucher_series, transaction_date, description, source, state, reason,
       posting_started_at, fortnox_series, fortnox_number, created_at, created_by
FROM outbox_vouchers
WHERE client_key = :client_key
ORDER BY created_at, outbox_id
