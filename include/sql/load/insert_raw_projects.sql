INSERT INTO raw_projects (client_key, project_number, description, status, load_id, loaded_at)
VALUES (:client_key, :project_number, :description, :status, :load_id, :loaded_at);
