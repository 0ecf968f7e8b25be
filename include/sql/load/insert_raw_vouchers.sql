INSERT INTO raw_vouchers (
    client_key, financial_year_id, voucher_series, voucher_number, transaction_date, registration_date, description,
    reference_number, reference_type, comments, signature, load_id, loaded_at
) VALUES (
    :client_key, :financial_year_id, :voucher_series, :voucher_number, :transaction_date, :registration_date, :description,
    :reference_number, :reference_type, :comments, :signature, :load_id, :loaded_at
);
