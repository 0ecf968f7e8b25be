SELECT voucher_series, financial_year_id, searched_through, missed_searches
FROM outbox_posting_searches
WHERE outbox_id = :outbox_id
