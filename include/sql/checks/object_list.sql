-- The objects of one list of several objects a balance line of the year's source carries (see
-- 16_raw_sie_object_lists.sql), in the list's order, to name it.
SELECT dimension_no, object_id
FROM raw_sie_object_lists
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND list_key = :list_key
ORDER BY position
