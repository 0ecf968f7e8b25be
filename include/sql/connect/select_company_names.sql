-- The company name of every client whose sync has loaded /3/companyinformation.
SELECT client_key, company_name
FROM raw_company_information;
