INSERT INTO raw_financial_years (
    client_key, financial_year_id, from_date, to_date, account_chart_type, accounting_method, load_id, loaded_at
) VALUES (
    :client_key, :financial_year_id, :from_date, :to_date, :account_chart_type, :accounting_method, :load_id, :loaded_at
);
