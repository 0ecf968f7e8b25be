-- Notifications told at most once per client, event and day (a connection close to expiry): the daily
-- upkeep's retries and reruns find the day's row and send nothing again.
CREATE TABLE IF NOT EXISTS notifications_sent (
    client_key          VARCHAR(40) NOT NULL,
    event               VARCHAR(40) NOT NULL,
    day                 VARCHAR(10) NOT NULL,
    sent_at             VARCHAR(32) NOT NULL,
    PRIMARY KEY (client_key, event, day)
);
