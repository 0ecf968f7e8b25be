-- The Fortnox requests of the latest load of each given financial year and of the ledgers at the period's end,
-- with when each finished: what the sync run that produced the period cost.
SELECT financial_year_id, period_end, load_id, MAX(finished_at) AS finished_at, SUM(requests) AS requests,
       MIN(path) AS path
FROM load_resources l
WHERE client_key = :client_key
  AND ((financial_year_id IN (:financial_year_id, :previous_year_id) AND period_end IS NULL)
       OR (financial_year_id IS NULL AND period_end = :period_end))
  AND load_id = (SELECT m.load_id FROM load_resources m
                 WHERE m.client_key = l.client_key
                   AND ((m.financial_year_id = l.financial_year_id AND m.period_end IS NULL AND l.period_end IS NULL)
                        OR (m.financial_year_id IS NULL AND l.financial_year_id IS NULL AND m.period_end = l.period_end))
                 ORDER BY m.finished_at DESC LIMIT 1)
GROUP BY financial_year_id, period_end, load_id;
