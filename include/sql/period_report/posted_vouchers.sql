-- The client's vouchers the export posted to Fortnox, dated in the financial year up to the period's end.
SELECT outbox_id, voucher_series, transaction_date, description, fortnox_series, fortnox_number,
       (SELECT SUM(r.debit_ore) FROM outbox_voucher_rows r WHERE r.outbox_id = v.outbox_id) AS amount_ore
FROM outbox_vouchers v
WHERE client_key = :client_key AND state = 'posted'
  AND transaction_date >= :year_start AND transaction_date <= :period_end
ORDER BY transaction_date, fortnox_series, fortnox_number;
