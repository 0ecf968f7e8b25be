-- Start (or restart, for a new posting attempt) the search record of a voucher about to be posted.
INSERT INTO outbox_posting_searches (outbox_id, voucher_series, financial_year_id, searched_through, missed_searches)
VALUES (:outbox_id, :voucher_series, :financial_year_id, :searched_through, 0)
ON CONFLICT (outbox_id) DO UPDATE SET
    voucher_series = excluded.voucher_series, financial_year_id = excluded.financial_year_id,
    searched_through = excluded.searched_through, missed_searches = 0
