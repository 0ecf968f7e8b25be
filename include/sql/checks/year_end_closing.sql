-- The year's result before closing (result accounts except 8999), what 8999 booked against it, and
-- what the vouchers on 8999 booked to 2099. Closed means 8999 cancels the result and 2099 takes it.
WITH counted AS (
    SELECT series, number, account, amount_ore
    FROM sie_transactions
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND record_type <> 'BTRANS'
),
closing_vouchers AS (
    SELECT DISTINCT series, number FROM counted WHERE account = 8999
)
SELECT y.start_date, y.end_date,
       (SELECT COALESCE(SUM(amount_ore), 0) FROM counted WHERE account >= 3000 AND account <> 8999) AS result_ore,
       (SELECT COALESCE(SUM(amount_ore), 0) FROM counted WHERE account = 8999) AS closed_ore,
       (SELECT COALESCE(SUM(c.amount_ore), 0) FROM counted c
          JOIN closing_vouchers v ON v.series = c.series AND v.number = c.number
         WHERE c.account = 2099) AS booked_2099_ore
FROM sie_financial_years y
WHERE y.client_key = :client_key AND y.financial_year_id = :financial_year_id
