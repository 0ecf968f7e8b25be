-- Per client, how many outbox vouchers are in each state.
SELECT client_key, state, COUNT(*) AS vouchers
FROM outbox_vouchers
GROUP BY client_key, state;
