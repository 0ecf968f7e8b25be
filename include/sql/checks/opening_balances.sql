-- Balance accounts whose #IB differs from the previous year's #UB (a missing line counts as zero).
WITH opening AS (
    SELECT account, amount_ore FROM sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND balance_type = 'IB'
),
previous_closing AS (
    SELECT account, amount_ore FROM sie_balances
    WHERE client_key = :client_key AND financial_year_id = :previous_year_id AND balance_type = 'UB'
),
accounts AS (
    SELECT account FROM opening UNION SELECT account FROM previous_closing
)
SELECT a.account, COALESCE(o.amount_ore, 0) AS opening_ore, COALESCE(c.amount_ore, 0) AS previous_closing_ore
FROM accounts a
LEFT JOIN opening o ON o.account = a.account
LEFT JOIN previous_closing c ON c.account = a.account
WHERE a.account < 3000 AND COALESCE(o.amount_ore, 0) <> COALESCE(c.amount_ore, 0)
ORDER BY a.account
