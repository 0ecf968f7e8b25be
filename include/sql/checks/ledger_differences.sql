-- Input of the ledger check: what the ledger step found to explain a difference, for the details.
SELECT ledger, explanation, difference_ore
FROM ledger_differences
WHERE client_key = :client_key AND period_end = :period_end
ORDER BY ledger, line_no
