-- The active source of every client-year with a recorded import, with the year's dates when known.
SELECT s.client_key, s.financial_year_id, s.source, s.file_name, s.without_orgnr, y.from_date, y.to_date
FROM import_sources s
LEFT JOIN raw_financial_years y ON y.client_key = s.client_key AND y.financial_year_id = s.financial_year_id
WHERE s.recorded_at = (SELECT MAX(x.recorded_at) FROM import_sources x
                       WHERE x.client_key = s.client_key AND x.financial_year_id = s.financial_year_id)
ORDER BY s.client_key, y.from_date, s.financial_year_id;
