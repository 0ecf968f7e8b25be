INSERT INTO raw_sie_object_lists (
    client_key, financial_year_id, list_key, position, dimension_no, object_id, load_id, loaded_at
) VALUES (
    :client_key, :financial_year_id, :list_key, :position, :dimension_no, :object_id, :load_id, :loaded_at
);
