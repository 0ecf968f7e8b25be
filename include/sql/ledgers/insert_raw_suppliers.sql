INSERT INTO raw_suppliers (client_key, supplier_number, name, organisation_number, city, load_id, loaded_at)
VALUES (:client_key, :party_number, :name, :organisation_number, :city, :load_id, :loaded_at);
