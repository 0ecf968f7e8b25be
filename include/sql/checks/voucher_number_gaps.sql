-- Missing voucher numbers per series in the year: numbering starts at 1 and has no holes in Fortnox
-- unless vouchers were lost on the way (or deleted, which Fortnox does not allow once booked).
WITH numbered AS (
    SELECT series, number, LAG(number) OVER (PARTITION BY series ORDER BY number) AS previous_number
    FROM sie_vouchers
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
)
SELECT series, COALESCE(previous_number, 0) + 1 AS first_missing, number - 1 AS last_missing
FROM numbered
WHERE number > COALESCE(previous_number, 0) + 1
ORDER BY series, first_missing
