INSERT INTO raw_sie_objects (client_key, financial_year_id, dimension_no, object_id, name, load_id, loaded_at)
VALUES (:client_key, :financial_year_id, :dimension_no, :object_id, :name, :load_id, :loaded_at);
