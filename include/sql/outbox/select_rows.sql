SELECT outbox_id, row_no, account, debit_ore, credit_ore, cost_center, project, row_text
FROM outbox_voucher_rows r
WHERE EXISTS (SELECT 1 FROM outbox_vouchers v WHERE v.outbox_id = r.outbox_id AND v.client_key = :client_key)
ORDER BY outbox_id, row_no
