-- SIE4 rows of each voucher (a view, see 24_sie_vouchers.sql), debit positive and credit negative:
-- record_type TRANS, BTRANS (Removed in Fortnox: not counted) or RTRANS (added after registration:
-- counted, and written with its #TRANS copy for older readers). trans_date is the row's own date (transdat)
-- where its source gave one.
CREATE VIEW sie_transactions AS
SELECT client_key, financial_year_id, voucher_series AS series, voucher_number AS number, row_no,
       CASE WHEN removed THEN 'BTRANS' WHEN added_after_registration THEN 'RTRANS' ELSE 'TRANS' END AS record_type,
       account,
       debit_ore - credit_ore AS amount_ore,
       COALESCE(NULLIF(transaction_information, ''), description) AS trans_text,
       quantity, row_date AS trans_date, signature
FROM raw_voucher_rows;
