-- The cursor the client-year's latest load left for its vouchers, with what staging holds of the
-- year: an incremental run starts from it.
SELECT r.next_cursor, r.finished_at,
       (SELECT COUNT(*) FROM raw_vouchers v
         WHERE v.client_key = r.client_key AND v.financial_year_id = r.financial_year_id) AS staged_vouchers
FROM load_resources r
WHERE r.client_key = :client_key AND r.financial_year_id = :financial_year_id AND r.next_cursor IS NOT NULL
ORDER BY r.finished_at DESC
LIMIT 1
