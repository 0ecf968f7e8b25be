-- The year's transaction rows in file order (see select_vouchers.sql).
SELECT series, number, row_no, record_type, account, amount_ore, trans_text, quantity, trans_date, signature
FROM sie_transactions
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
ORDER BY series, number, row_no;
