-- Which of a client's outbox vouchers has exactly this content (series, date, text, rows).
SELECT outbox_id, state FROM outbox_vouchers WHERE client_key = :client_key AND content_sha256 = :content_sha256
