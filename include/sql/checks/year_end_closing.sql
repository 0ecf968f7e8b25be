-- The year's result before closing (result accounts, type I or K, except 8999), what 8999 booked against it, and
-- what the vouchers on 8999 booked to 2099. Closed means 8999 cancels the result and 2099 takes it.
WITH counted AS (
    SELECT t.series, t.number, t.account, t.amount_ore, s.account_type IN ('I', 'K') AS is_result
    FROM sie_transactions t
    LEFT JOIN sie_accounts s
      ON s.client_key = t.client_key AND s.financial_year_id = t.financial_year_id AND s.account = t.account
    WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id AND t.record_type <> 'BTRANS'
),
closing_vouchers AS (
    SELECT DISTINCT series, number FROM counted WHERE account = '8999'
)
SELECT y.start_date, y.end_date,
       (SELECT COALESCE(SUM(amount_ore), 0) FROM counted WHERE is_result AND account <> '8999') AS result_ore,
       (SELECT COALESCE(SUM(amount_ore), 0) FROM counted WHERE account = '8999') AS closed_ore,
       (SELECT COALESCE(SUM(c.amount_ore), 0) FROM counted c
          JOIN closing_vouchers v ON v.series = c.series AND v.number = c.number
         WHERE c.account = '2099') AS booked_2099_ore
FROM sie_financial_years y
WHERE y.client_key = :client_key AND y.financial_year_id = :financial_year_id
