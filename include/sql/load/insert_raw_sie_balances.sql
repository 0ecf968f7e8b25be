INSERT INTO raw_sie_balances (
    client_key, financial_year_id, year_index, balance_type, period, account, dimension_no, object_id, amount_ore,
    load_id, loaded_at
) VALUES (
    :client_key, :financial_year_id, :year_index, :balance_type, :period, :account, :dimension_no, :object_id, :amount_ore,
    :load_id, :loaded_at
);
