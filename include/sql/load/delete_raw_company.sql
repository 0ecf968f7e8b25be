-- Empty a client's company-level raw partition before it is loaded again.
DELETE FROM raw_company_information WHERE client_key = :client_key;
DELETE FROM raw_financial_years WHERE client_key = :client_key;
