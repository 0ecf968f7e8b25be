SELECT dimension_no, name, parent_dimension_no
FROM sie_dimensions
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY dimension_no;
