-- A search read the series up to `searched_through` without finding the voucher.
UPDATE outbox_posting_searches
SET searched_through = :searched_through, missed_searches = missed_searches + :missed
WHERE outbox_id = :outbox_id
