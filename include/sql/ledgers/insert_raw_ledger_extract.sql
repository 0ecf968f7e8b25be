INSERT INTO raw_ledger_extracts (client_key, period_end, complete_from, requests, load_id, loaded_at)
VALUES (:client_key, :period_end, :complete_from, :requests, :load_id, :loaded_at);
