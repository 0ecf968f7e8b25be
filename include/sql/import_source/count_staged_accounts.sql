-- Whether a client-year has books of its own in staging (its chart of accounts).
SELECT COUNT(*) FROM raw_accounts WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
