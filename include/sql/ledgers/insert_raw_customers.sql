INSERT INTO raw_customers (client_key, customer_number, name, organisation_number, city, load_id, loaded_at)
VALUES (:client_key, :party_number, :name, :organisation_number, :city, :load_id, :loaded_at);
