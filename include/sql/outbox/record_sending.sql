-- Just before each attempt to send a voucher being posted: when its request can have reached Fortnox
-- last, so that it is posted again only once that request is certainly over.
UPDATE outbox_vouchers SET posting_started_at = :sent_at
WHERE outbox_id = :outbox_id AND state = 'posting'
