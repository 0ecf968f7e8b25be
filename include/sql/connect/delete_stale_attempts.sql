-- Attempts long past their 10 minutes only tell 'expired' from 'unknown'; a day of them is plenty.
DELETE FROM fortnox_connect_attempts
WHERE created_at < :created_before;
