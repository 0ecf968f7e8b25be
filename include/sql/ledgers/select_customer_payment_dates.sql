-- The dates of the client's booked payments read by earlier extractions (any balance date): a payment list
-- entry carries no PaymentDate, and a booked payment keeps its date, so each is read from Fortnox once.
SELECT payment_number, MIN(payment_date) AS payment_date
FROM raw_invoice_payments
WHERE client_key = :client_key AND booked = :booked
GROUP BY payment_number
HAVING COUNT(DISTINCT payment_date) = 1;
