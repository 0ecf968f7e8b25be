-- Per client and checked period among the given period ends: how many checks ran, and how many errors and
-- warnings failed.
SELECT client_key, period_end, COUNT(*) AS checks,
       SUM(CASE WHEN status = 'failed' AND severity = 'error' THEN 1 ELSE 0 END) AS errors,
       SUM(CASE WHEN status = 'failed' AND severity <> 'error' THEN 1 ELSE 0 END) AS warnings
FROM check_results
WHERE period_end IN :period_ends
GROUP BY client_key, period_end;
