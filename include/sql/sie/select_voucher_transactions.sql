-- Every voucher dated up to the as-of date with its rows and their objects (one line per object), in file
-- order; read as a stream so memory stays flat.
SELECT v.series, v.number, v.voucher_date, v.registration_date, v.voucher_text,
       t.row_no, t.record_type, t.account, t.amount_ore, t.trans_text, t.quantity,
       o.dimension_no, o.object_id
FROM sie_vouchers v
LEFT JOIN sie_transactions t
       ON t.client_key = v.client_key AND t.financial_year_id = v.financial_year_id
      AND t.series = v.series AND t.number = v.number
LEFT JOIN sie_transaction_objects o
       ON o.client_key = t.client_key AND o.financial_year_id = t.financial_year_id
      AND o.series = t.series AND o.number = t.number AND o.row_no = t.row_no
WHERE v.client_key = :client_key AND v.financial_year_id = :financial_year_id AND v.voucher_date <= :as_of
ORDER BY v.series, v.number, t.row_no, o.dimension_no;
