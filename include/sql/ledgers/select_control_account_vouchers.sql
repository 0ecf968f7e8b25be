-- Every voucher of the financial year that moves the control account, with what it refers to:
-- Fortnox marks invoice and payment vouchers with ReferenceType and the invoice's number.
-- Removed rows (#BTRANS) never count.
SELECT v.series, v.number, v.voucher_date, v.voucher_text, r.reference_type, r.reference_number,
       SUM(t.amount_ore) AS amount_ore
FROM sie_transactions t
JOIN sie_vouchers v
  ON v.client_key = t.client_key AND v.financial_year_id = t.financial_year_id
 AND v.series = t.series AND v.number = t.number
LEFT JOIN raw_vouchers r
  ON r.client_key = v.client_key AND r.financial_year_id = v.financial_year_id
 AND r.voucher_series = v.series AND r.voucher_number = v.number
WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id
  AND t.account = :account AND t.record_type <> 'BTRANS'
GROUP BY v.series, v.number, v.voucher_date, v.voucher_text, r.reference_type, r.reference_number;
