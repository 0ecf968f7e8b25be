INSERT INTO raw_sie_header (client_key, financial_year_id, position, label, fields, load_id, loaded_at)
VALUES (:client_key, :financial_year_id, :position, :label, :fields, :load_id, :loaded_at);
