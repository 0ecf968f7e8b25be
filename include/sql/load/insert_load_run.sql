INSERT INTO load_runs (
    load_id, client_key, financial_year_id, started_at, finished_at, requests, accounts, vouchers, voucher_rows,
    fortnox_accounts_reported, fortnox_vouchers_reported
) VALUES (
    :load_id, :client_key, :financial_year_id, :started_at, :finished_at, :requests, :accounts, :vouchers, :voucher_rows,
    :fortnox_accounts_reported, :fortnox_vouchers_reported
);
