-- Every voucher with its rows, in file order; read as a stream so memory stays flat.
SELECT v.series, v.number, v.voucher_date, v.registration_date, v.voucher_text,
       t.row_no, t.record_type, t.account, t.amount_ore, t.trans_text, t.quantity
FROM sie_vouchers v
LEFT JOIN sie_transactions t
       ON t.client_key = v.client_key AND t.financial_year_id = v.financial_year_id
      AND t.series = v.series AND t.number = v.number
WHERE v.client_key = :client_key AND v.financial_year_id = :financial_year_id
ORDER BY v.series, v.number, t.row_no;
