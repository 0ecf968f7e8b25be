-- The Fortnox requests of the given loads (those of the sync run writing the report), one row per load, with
-- what it loaded (a financial year's bookkeeping, or the ledgers at a period end), how and when it finished.
SELECT financial_year_id, period_end, load_id, MAX(finished_at) AS finished_at, SUM(requests) AS requests,
       MIN(path) AS path
FROM load_resources
WHERE client_key = :client_key AND load_id IN :load_ids
GROUP BY financial_year_id, period_end, load_id
ORDER BY MAX(finished_at);
