-- One ledger's open items at a balance date, added up per ageing bucket.
SELECT ageing_bucket, COUNT(*) AS items, SUM(open_ore) AS open_ore
FROM ledger_open_items
WHERE client_key = :client_key AND period_end = :period_end AND ledger = :ledger
GROUP BY ageing_bucket;
