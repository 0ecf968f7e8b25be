SELECT COUNT(*) FROM raw_company_information WHERE client_key = :client_key;
