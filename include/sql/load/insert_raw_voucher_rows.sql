INSERT INTO raw_voucher_rows (
    client_key, financial_year_id, voucher_series, voucher_number, row_no, account, debit_ore, credit_ore,
    description, transaction_information, cost_center, project, quantity, removed, added_after_registration,
    row_date, signature, load_id, loaded_at
) VALUES (
    :client_key, :financial_year_id, :voucher_series, :voucher_number, :row_no, :account, :debit_ore, :credit_ore,
    :description, :transaction_information, :cost_center, :project, :quantity, :removed, :added_after_registration,
    :row_date, :signature, :load_id, :loaded_at
);
