-- #FNR #ORGNR #FNAMN #ADRESS from the company information Fortnox gave.
DELETE FROM sie_company WHERE client_key = :client_key;
INSERT INTO sie_company (client_key, fnr, orgnr, fnamn, adress_street, adress_postal, adress_phone)
SELECT client_key,
       CAST(database_number AS VARCHAR(20)),
       organisation_number,
       company_name,
       address,
       TRIM(COALESCE(zip_code, '') || ' ' || COALESCE(city, '')),
       phone
FROM raw_company_information
WHERE client_key = :client_key;
