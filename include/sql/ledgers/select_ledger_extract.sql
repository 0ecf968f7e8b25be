-- The extraction for one balance date, if there is one.
SELECT period_end, complete_from FROM raw_ledger_extracts WHERE client_key = :client_key AND period_end = :period_end;
