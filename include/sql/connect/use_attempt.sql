-- Claims the attempt; zero rows changed means another process used it first.
UPDATE fortnox_connect_attempts
SET used_at = :now
WHERE state = :state AND used_at IS NULL;
