SELECT label, fields
FROM sie_headers
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY position;
