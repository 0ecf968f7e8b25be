INSERT INTO raw_company_information (
    client_key, company_name, organisation_number, database_number, address, zip_code, city, phone,
    load_id, loaded_at
) VALUES (
    :client_key, :company_name, :organisation_number, :database_number, :address, :zip_code, :city, :phone,
    :load_id, :loaded_at
);
