-- #IB and #UB for balance accounts (type T or S in sie_accounts), #RES for result accounts (I or K).
-- UB is IB plus the year's movements; removed rows (#BTRANS) never count.
-- Accounts with neither a balance nor a movement get no line, as in Fortnox's export.
-- The movements are summed from year_movements (year_movements.sql), not from the raw rows.
DELETE FROM sie_balances WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_balances (client_key, financial_year_id, balance_type, account, amount_ore)
WITH movements AS (
    SELECT account, SUM(amount_ore) AS amount_ore
    FROM year_movements
    GROUP BY account
),
chart AS (
    SELECT a.client_key, a.financial_year_id, a.account, s.account_type IN ('T', 'S') AS balance,
           CASE WHEN s.account_type IN ('T', 'S') THEN a.balance_brought_forward_ore ELSE 0 END AS opening_ore,
           m.amount_ore AS movement_ore
    FROM raw_accounts a
    JOIN sie_accounts s
      ON s.client_key = a.client_key AND s.financial_year_id = a.financial_year_id AND s.account = a.account
    LEFT JOIN movements m ON m.account = a.account
    WHERE a.client_key = :client_key AND a.financial_year_id = :financial_year_id
)
SELECT client_key, financial_year_id, 'IB', account, opening_ore
FROM chart WHERE balance AND (opening_ore <> 0 OR movement_ore IS NOT NULL)
UNION ALL
SELECT client_key, financial_year_id, 'UB', account, opening_ore + COALESCE(movement_ore, 0)
FROM chart WHERE balance AND (opening_ore <> 0 OR movement_ore IS NOT NULL)
UNION ALL
SELECT client_key, financial_year_id, 'RES', account, movement_ore
FROM chart WHERE NOT balance AND movement_ore IS NOT NULL;
