-- A rerun of the period's checks replaces their results.
DELETE FROM check_results
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND period_end = :period_end;
