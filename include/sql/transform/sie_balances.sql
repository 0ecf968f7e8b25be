-- #IB and #UB for balance accounts (classes 1-2), #RES for result accounts (classes 3-8).
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
    SELECT a.client_key, a.financial_year_id, a.account,
           CASE WHEN a.account < 3000 THEN a.balance_brought_forward_ore ELSE 0 END AS opening_ore,
           m.amount_ore AS movement_ore
    FROM raw_accounts a
    LEFT JOIN movements m ON m.account = a.account
    WHERE a.client_key = :client_key AND a.financial_year_id = :financial_year_id
)
SELECT client_key, financial_year_id, 'IB', account, opening_ore
FROM chart WHERE account < 3000 AND (opening_ore <> 0 OR movement_ore IS NOT NULL)
UNION ALL
SELECT client_key, financial_year_id, 'UB', account, opening_ore + COALESCE(movement_ore, 0)
FROM chart WHERE account < 3000 AND (opening_ore <> 0 OR movement_ore IS NOT NULL)
UNION ALL
SELECT client_key, financial_year_id, 'RES', account, movement_ore
FROM chart WHERE account >= 3000 AND movement_ore IS NOT NULL;
