-- Every failed check of the given period ends, errors first: what the clients page lists under a client's period.
SELECT client_key, period_end, check_name, severity, message
FROM check_results
WHERE status = 'failed' AND period_end IN :period_ends
ORDER BY client_key, period_end, CASE WHEN severity = 'error' THEN 0 ELSE 1 END, check_name;
