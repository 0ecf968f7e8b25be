INSERT INTO raw_accounts (
    client_key, financial_year_id, account, description, active, sru, vat_code, balance_brought_forward_ore,
    account_type, unit, undeclared, load_id, loaded_at
) VALUES (
    :client_key, :financial_year_id, :account, :description, :active, :sru, :vat_code, :balance_brought_forward_ore,
    :account_type, :unit, :undeclared, :load_id, :loaded_at
);
