-- Empty one client's ledgers at one balance date before they are stored again.
DELETE FROM ledger_open_items WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM ledger_reconciliation WHERE client_key = :client_key AND period_end = :period_end;
DELETE FROM ledger_differences WHERE client_key = :client_key AND period_end = :period_end;
