INSERT INTO outbox_vouchers (
    outbox_id, client_key, financial_year_id, voucher_series, transaction_date, description, source, content_sha256,
    state, created_at, created_by
) VALUES (
    :outbox_id, :client_key, :financial_year_id, :voucher_series, :transaction_date, :description, :source,
    :content_sha256, 'draft', :created_at, :created_by
);
