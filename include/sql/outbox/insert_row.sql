INSERT INTO outbox_voucher_rows (outbox_id, row_no, account, debit_ore, credit_ore, cost_center, project, row_text)
VALUES (:outbox_id, :row_no, :account, :debit_ore, :credit_ore, :cost_center, :project, :row_text);
