-- The active source of one client-year: its latest recorded import.
SELECT source, file_name, sha256, recorded_by, recorded_at
FROM import_sources
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY recorded_at DESC
LIMIT 1;
