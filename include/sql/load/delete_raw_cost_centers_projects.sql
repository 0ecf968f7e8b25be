-- Empty a client's cost centres and projects before the lists are loaded again.
DELETE FROM raw_cost_centers WHERE client_key = :client_key;
DELETE FROM raw_projects WHERE client_key = :client_key;
