-- The highest number of a series in a year that we know of: staged from Fortnox, posted by us, or
-- read by an earlier search. Fortnox may have more after it; reading on finds them.
SELECT MAX(number) AS last_number FROM (
    SELECT MAX(voucher_number) AS number FROM raw_vouchers
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND voucher_series = :voucher_series
    UNION ALL
    SELECT MAX(fortnox_number) FROM outbox_vouchers
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND fortnox_series = :voucher_series
    UNION ALL
    SELECT MAX(s.searched_through) FROM outbox_posting_searches s
    JOIN outbox_vouchers o ON o.outbox_id = s.outbox_id
    WHERE o.client_key = :client_key AND s.financial_year_id = :financial_year_id AND s.voucher_series = :voucher_series
) known
