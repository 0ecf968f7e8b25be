-- #OBJEKT: the objects the year's SIE file declares, named as there; cost centres and projects from
-- Fortnox's lists that the file lacks are added with their list names.
DELETE FROM sie_objects WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_objects (client_key, financial_year_id, dimension_no, object_id, name)
SELECT client_key, financial_year_id, dimension_no, object_id, name
FROM raw_sie_objects
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
UNION ALL
SELECT :client_key, :financial_year_id, 1, c.code, c.description
FROM raw_cost_centers c
WHERE c.client_key = :client_key
  AND NOT EXISTS (SELECT 1 FROM raw_sie_objects o
                  WHERE o.client_key = :client_key AND o.financial_year_id = :financial_year_id
                    AND o.dimension_no = 1 AND o.object_id = c.code)
UNION ALL
SELECT :client_key, :financial_year_id, 6, p.project_number, p.description
FROM raw_projects p
WHERE p.client_key = :client_key
  AND NOT EXISTS (SELECT 1 FROM raw_sie_objects o
                  WHERE o.client_key = :client_key AND o.financial_year_id = :financial_year_id
                    AND o.dimension_no = 6 AND o.object_id = p.project_number);
