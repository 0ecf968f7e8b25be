-- Per client and checked period, how many error checks failed (zero when none did): what `fortnox-etl
-- status` shows of the checks that gate each period, from a sync or an imported SIE file alike.
SELECT client_key, period_end,
       SUM(CASE WHEN status = 'failed' AND severity = 'error' THEN 1 ELSE 0 END) AS errors
FROM check_results
GROUP BY client_key, period_end
ORDER BY client_key, period_end;
