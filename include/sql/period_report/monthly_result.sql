-- The result of each month of a financial year up to the last period asked for (YYYYMM): the change on its
-- result accounts (type I and K), debit positive, so a profit is negative here and the report turns the sign. The
-- year's result booked to equity (8999 Årets resultat, against 2099, and the rest of 899x) is the result itself,
-- not a cost: left out, or a year-end month would show the year's profit as its loss.
SELECT p.period, SUM(p.amount_ore) AS amount_ore
FROM sie_period_balances p
JOIN sie_accounts s
  ON s.client_key = p.client_key AND s.financial_year_id = p.financial_year_id AND s.account = p.account
WHERE p.client_key = :client_key AND p.financial_year_id = :financial_year_id
  AND p.dimension_no = 0 AND p.period <= :last_period AND s.account_type IN ('I', 'K')
  AND p.account NOT LIKE '899%'
GROUP BY p.period
ORDER BY p.period;
