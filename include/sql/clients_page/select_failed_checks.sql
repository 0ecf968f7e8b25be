-- Every failed check of every client and period, errors first: what the clients page lists under a period.
SELECT client_key, period_end, check_name, severity, message
FROM check_results
WHERE status = 'failed'
ORDER BY client_key, period_end, CASE WHEN severity = 'error' THEN 0 ELSE 1 END, check_name;
