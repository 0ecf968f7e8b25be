-- Balance accounts whose #IB differs from the previous year's #UB (a missing line counts as zero); an account
-- is a balance account by its type in this year's chart (T or S), or when the chart lacks it.
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
LEFT JOIN sie_accounts s
  ON s.client_key = :client_key AND s.financial_year_id = :financial_year_id AND s.account = a.account
WHERE (s.account_type IS NULL OR s.account_type IN ('T', 'S')) AND COALESCE(o.amount_ore, 0) <> COALESCE(c.amount_ore, 0)
ORDER BY LENGTH(a.account), a.account
