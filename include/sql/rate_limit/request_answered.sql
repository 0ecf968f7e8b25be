-- The request keeps its place in the window until its answer arrived.
UPDATE fortnox_request_times SET requested_at = :now WHERE request_id = :request_id;
