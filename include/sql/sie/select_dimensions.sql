SELECT dimension_no, name
FROM sie_dimensions
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY dimension_no;
