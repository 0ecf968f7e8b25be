-- The stored check results of one client's period, errors first, then warnings, failed before not run and passed.
SELECT check_name, severity, status, message, details, facts, checked_at
FROM check_results
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND period_end = :period_end
ORDER BY CASE status WHEN 'failed' THEN 1 WHEN 'not_run' THEN 2 ELSE 3 END,
         CASE severity WHEN 'error' THEN 1 ELSE 2 END, check_name;
