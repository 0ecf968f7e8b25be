-- Claims the client's notice of one event for one day; a second claim of the same day changes nothing.
INSERT INTO notifications_sent (client_key, event, day, sent_at)
VALUES (:client_key, :event, :day, :sent_at)
ON CONFLICT (client_key, event, day) DO NOTHING;
