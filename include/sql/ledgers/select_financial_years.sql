-- The client's financial years as staged by extract_company.
SELECT financial_year_id, from_date, to_date
FROM raw_financial_years
WHERE client_key = :client_key
ORDER BY from_date;
