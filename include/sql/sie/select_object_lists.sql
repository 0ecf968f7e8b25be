-- The objects of each list of several objects the client's balance lines carry (dimension -1, keyed by
-- the list: see 16_raw_sie_object_lists.sql), in the list's order; a list's key is the same in every year.
SELECT DISTINCT list_key, position, dimension_no, object_id
FROM raw_sie_object_lists
WHERE client_key = :client_key
ORDER BY list_key, position;
