-- How many different cost centres (dimension 1) and projects (dimension 6) the year's rows use.
SELECT 1 AS dimension, COUNT(DISTINCT cost_center) AS objects
FROM raw_voucher_rows
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND cost_center <> ''
UNION ALL
SELECT 6, COUNT(DISTINCT project)
FROM raw_voucher_rows
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND project <> ''
