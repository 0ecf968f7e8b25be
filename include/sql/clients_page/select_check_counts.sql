-- Per client and checked period: how many checks ran, and how many errors and warnings failed.
SELECT client_key, period_end, COUNT(*) AS checks,
       SUM(CASE WHEN status = 'failed' AND severity = 'error' THEN 1 ELSE 0 END) AS errors,
       SUM(CASE WHEN status = 'failed' AND severity <> 'error' THEN 1 ELSE 0 END) AS warnings,
       MAX(checked_at) AS checked_at
FROM check_results
GROUP BY client_key, period_end;
