SELECT financial_year_id, start_date, end_date, kptyp
FROM sie_financial_years
WHERE client_key = :client_key
ORDER BY start_date;
