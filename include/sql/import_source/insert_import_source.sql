INSERT INTO import_sources (
    import_id, client_key, financial_year_id, source, file_name, sha256, recorded_by, recorded_at, without_orgnr
) VALUES (
    :import_id, :client_key, :financial_year_id, :source, :file_name, :sha256, :recorded_by, :recorded_at, :without_orgnr
);
