INSERT INTO raw_cost_centers (client_key, code, description, active, load_id, loaded_at)
VALUES (:client_key, :code, :description, :active, :load_id, :loaded_at);
