-- The client's staged financial years that share a day with the given one.
SELECT financial_year_id, from_date, to_date
FROM raw_financial_years
WHERE client_key = :client_key AND from_date <= :to_date AND to_date >= :from_date
ORDER BY from_date;
