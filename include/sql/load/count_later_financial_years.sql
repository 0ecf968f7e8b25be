-- How many of the client's financial years end after the given one (0: it is the newest).
SELECT COUNT(*)
FROM raw_financial_years
WHERE client_key = :client_key AND to_date > (
    SELECT to_date FROM raw_financial_years WHERE client_key = :client_key AND financial_year_id = :financial_year_id
);
