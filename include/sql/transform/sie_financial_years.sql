-- #RAR: every financial year of the client; the writer turns them into year indexes.
DELETE FROM sie_financial_years WHERE client_key = :client_key;
INSERT INTO sie_financial_years (client_key, financial_year_id, start_date, end_date, kptyp)
SELECT client_key, financial_year_id, from_date, to_date, account_chart_type
FROM raw_financial_years
WHERE client_key = :client_key;
