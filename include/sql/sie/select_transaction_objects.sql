-- The objects of the year's transaction rows in file order, one line per object (see select_vouchers.sql):
-- a row's cost centre and project (sie_transaction_objects), or its whole object list as the source
-- wrote it when raw_voucher_row_objects holds it (other dimensions, another order).
SELECT series, number, row_no, dimension_no, object_id
FROM (
    SELECT o.series, o.number, o.row_no, o.dimension_no AS position, o.dimension_no, o.object_id
    FROM sie_transaction_objects o
    WHERE o.client_key = :client_key AND o.financial_year_id = :financial_year_id
      AND NOT EXISTS (SELECT 1 FROM raw_voucher_row_objects x
                      WHERE x.client_key = :client_key AND x.financial_year_id = :financial_year_id
                        AND x.voucher_series = o.series AND x.voucher_number = o.number AND x.row_no = o.row_no)
    UNION ALL
    SELECT voucher_series, voucher_number, row_no, position, dimension_no, object_id
    FROM raw_voucher_row_objects
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
) AS objects
ORDER BY series, number, row_no, position;
