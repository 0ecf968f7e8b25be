-- What the year's SIE source uses without declaring it: accounts (no #KONTO, created on import),
-- objects (no #OBJEKT: on a row, or on a balance of the source) and their dimensions (no #DIM or
-- #UNDERDIM). One row each: kind, dimension (0 for an account), the account or object.
WITH used_objects AS (
    SELECT dimension_no, object_id FROM sie_transaction_objects
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
    UNION
    SELECT dimension_no, object_id FROM raw_voucher_row_objects
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
    UNION
    SELECT dimension_no, object_id FROM raw_sie_balances
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND dimension_no > 0
    UNION
    SELECT dimension_no, object_id FROM raw_sie_object_lists
    WHERE client_key = :client_key AND financial_year_id = :financial_year_id
),
undeclared_objects AS (
    SELECT u.dimension_no, u.object_id FROM used_objects u
    WHERE NOT EXISTS (SELECT 1 FROM sie_objects o
                      WHERE o.client_key = :client_key AND o.financial_year_id = :financial_year_id
                        AND o.dimension_no = u.dimension_no AND o.object_id = u.object_id)
)
SELECT 'account' AS kind, 0 AS dimension_no, account AS item
FROM raw_accounts
WHERE client_key = :client_key AND financial_year_id = :financial_year_id AND undeclared
UNION ALL
SELECT 'dimension', d.dimension_no, ''
FROM (SELECT DISTINCT dimension_no FROM used_objects) d
WHERE NOT EXISTS (SELECT 1 FROM sie_dimensions s
                  WHERE s.client_key = :client_key AND s.financial_year_id = :financial_year_id
                    AND s.dimension_no = d.dimension_no)
UNION ALL
SELECT 'object', dimension_no, object_id FROM undeclared_objects
ORDER BY 1, 2, 3
