INSERT INTO load_runs (
    load_id, client_key, financial_year_id, started_at, finished_at, requests, accounts, vouchers, voucher_rows
) VALUES (
    :load_id, :client_key, :financial_year_id, :started_at, :finished_at, :requests, :accounts, :vouchers, :voucher_rows
);
