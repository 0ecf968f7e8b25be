SELECT dimension_no, object_id, name
FROM sie_objects
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY dimension_no, object_id;
