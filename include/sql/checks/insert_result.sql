INSERT INTO check_results (
    client_key, financial_year_id, period_end, check_name, severity, status, passed, message, details, facts, checked_at
) VALUES (
    :client_key, :financial_year_id, :period_end, :check_name, :severity, :status, :passed, :message, :details, :facts, :checked_at
);
