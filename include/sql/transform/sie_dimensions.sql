-- #DIM and #UNDERDIM: the dimensions the year's SIE file declares, and Fortnox's cost centre and project
-- dimensions when the lists hold objects the file lacks a #DIM for (Fortnox's names).
DELETE FROM sie_dimensions WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_dimensions (client_key, financial_year_id, dimension_no, name, parent_dimension_no)
SELECT client_key, financial_year_id, dimension_no, name, parent_dimension_no
FROM raw_sie_dimensions
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
UNION ALL
SELECT :client_key, :financial_year_id, 1, 'Kostnadsställe', NULL
WHERE EXISTS (SELECT 1 FROM raw_cost_centers WHERE client_key = :client_key)
  AND NOT EXISTS (SELECT 1 FROM raw_sie_dimensions
                  WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND dimension_no = 1)
UNION ALL
SELECT :client_key, :financial_year_id, 6, 'Projekt', NULL
WHERE EXISTS (SELECT 1 FROM raw_projects WHERE client_key = :client_key)
  AND NOT EXISTS (SELECT 1 FROM raw_sie_dimensions
                  WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND dimension_no = 6);
