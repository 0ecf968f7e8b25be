-- How many objects each dimension declares (#OBJEKT) in the year's SIE tables.
SELECT dimension_no, COUNT(*) AS objects
FROM sie_objects
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
GROUP BY dimension_no
