INSERT INTO load_resources (
    load_id, client_key, financial_year_id, period_end, resource, path, requests, rows_loaded, seconds,
    next_cursor, finished_at
) VALUES (
    :load_id, :client_key, :financial_year_id, :period_end, :resource, :path, :requests, :rows_loaded, :seconds,
    :next_cursor, :finished_at
);
