INSERT INTO raw_voucher_row_objects (
    client_key, financial_year_id, voucher_series, voucher_number, row_no, position, dimension_no, object_id,
    load_id, loaded_at
) VALUES (
    :client_key, :financial_year_id, :voucher_series, :voucher_number, :row_no, :position, :dimension_no, :object_id,
    :load_id, :loaded_at
);
