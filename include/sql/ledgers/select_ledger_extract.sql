-- The balance date the client's raw ledger tables were extracted for.
SELECT period_end, complete_from FROM raw_ledger_extracts WHERE client_key = :client_key;
