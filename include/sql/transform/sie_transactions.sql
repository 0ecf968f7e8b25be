-- #TRANS rows, debit positive and credit negative; rows Fortnox marks Removed become #BTRANS,
-- rows added after the voucher was registered #RTRANS.
DELETE FROM sie_transactions WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_transactions (
    client_key, financial_year_id, series, number, row_no, record_type, account, amount_ore, trans_text, quantity
)
SELECT client_key, financial_year_id, voucher_series, voucher_number, row_no,
       CASE WHEN removed THEN 'BTRANS' WHEN added_after_registration THEN 'RTRANS' ELSE 'TRANS' END,
       account,
       debit_ore - credit_ore,
       COALESCE(NULLIF(transaction_information, ''), description),
       quantity
FROM raw_voucher_rows
WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
