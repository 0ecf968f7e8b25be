INSERT INTO raw_customers (client_key, period_end, customer_number, name, organisation_number, city, load_id, loaded_at)
VALUES (:client_key, :period_end, :party_number, :name, :organisation_number, :city, :load_id, :loaded_at);
