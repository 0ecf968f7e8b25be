INSERT INTO raw_sie_dimensions (client_key, financial_year_id, dimension_no, name, parent_dimension_no, load_id, loaded_at)
VALUES (:client_key, :financial_year_id, :dimension_no, :name, :parent_dimension_no, :load_id, :loaded_at);
