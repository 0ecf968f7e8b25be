-- Every resource of a client's loads, newest first: what `fortnox-etl status` and the tests read.
SELECT load_id, financial_year_id, period_end, resource, path, requests, rows_loaded, seconds, next_cursor, finished_at
FROM load_resources
WHERE client_key = :client_key
ORDER BY finished_at DESC, resource
