INSERT INTO raw_suppliers (client_key, period_end, supplier_number, name, organisation_number, city, load_id, loaded_at)
VALUES (:client_key, :period_end, :party_number, :name, :organisation_number, :city, :load_id, :loaded_at);
