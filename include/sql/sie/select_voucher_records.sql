-- PostgreSQL only (E'' strings, to_char, trim_scale; SQLite takes the writer's portable path): the
-- year's vouchers up to :as_of as the SIE records the portable path writes, a voucher's #VER, '{', rows
-- and '}' per result row with CR LF line ends, in file order, and how many rows each holds. Formatting
-- here, beside the data, costs a fraction of fetching a million rows into Python and formatting them there.
-- Quoting as fields.quote (backslash and quote escaped, line breaks become spaces), looked for first:
-- most texts need none, and replacing in every one cost more than the rest of a row's formatting.
-- Each row's objects are joined per dimension (Fortnox writes 1 and 6 only; an aggregate per row cost
-- a sort per row), and the rows come to string_agg in file order from an ordered subquery (an ORDER BY
-- inside the aggregate sorts every voucher's rows again).
WITH records AS (
    SELECT series, number, COUNT(*) AS row_count,
           string_agg('#' || record_type || fields
                      -- an #RTRANS row is followed by the same row as #TRANS, for readers that predate #RTRANS
                      || CASE WHEN record_type = 'RTRANS' THEN '#TRANS' || fields ELSE '' END, '') AS text
    FROM (
        SELECT t.series, t.number, t.record_type,
               ' ' || t.account || ' {'
               || COALESCE('1 "' || CASE WHEN strpos(cost_center.object_id, '"') + strpos(cost_center.object_id, '\')
                                              + strpos(cost_center.object_id, E'\r') + strpos(cost_center.object_id, E'\n') = 0
                                         THEN cost_center.object_id
                                         ELSE replace(replace(replace(replace(cost_center.object_id, '\', '\\'), '"', '\"'),
                                                              E'\r', ' '), E'\n', ' ') END
                           || '"' || CASE WHEN project.object_id IS NULL THEN '' ELSE ' ' END, '')
               || COALESCE('6 "' || CASE WHEN strpos(project.object_id, '"') + strpos(project.object_id, '\')
                                              + strpos(project.object_id, E'\r') + strpos(project.object_id, E'\n') = 0
                                         THEN project.object_id
                                         ELSE replace(replace(replace(replace(project.object_id, '\', '\\'), '"', '\"'),
                                                              E'\r', ' '), E'\n', ' ') END || '"', '')
               || '} ' || CAST(t.amount_ore / 100.0 AS NUMERIC(20, 2)) || ' "" "'
               || CASE WHEN t.trans_text IS NULL THEN ''
                       WHEN strpos(t.trans_text, '"') + strpos(t.trans_text, '\')
                            + strpos(t.trans_text, E'\r') + strpos(t.trans_text, E'\n') = 0 THEN t.trans_text
                       ELSE replace(replace(replace(replace(t.trans_text, '\', '\\'), '"', '\"'), E'\r', ' '), E'\n', ' ') END
               || '"' || COALESCE(' ' || trim_scale(t.quantity), '') || E'\r\n' AS fields
        FROM sie_transactions t
        LEFT JOIN sie_transaction_objects cost_center
          ON cost_center.client_key = t.client_key AND cost_center.financial_year_id = t.financial_year_id
         AND cost_center.series = t.series AND cost_center.number = t.number AND cost_center.row_no = t.row_no
         AND cost_center.dimension_no = 1
        LEFT JOIN sie_transaction_objects project
          ON project.client_key = t.client_key AND project.financial_year_id = t.financial_year_id
         AND project.series = t.series AND project.number = t.number AND project.row_no = t.row_no
         AND project.dimension_no = 6
        WHERE t.client_key = :client_key AND t.financial_year_id = :financial_year_id
        ORDER BY t.series, t.number, t.row_no
    ) AS rows_in_order
    GROUP BY series, number
)
SELECT '#VER "' || CASE WHEN strpos(v.series, '"') + strpos(v.series, '\') + strpos(v.series, E'\r')
                             + strpos(v.series, E'\n') = 0 THEN v.series
                        ELSE replace(replace(replace(replace(v.series, '\', '\\'), '"', '\"'), E'\r', ' '), E'\n', ' ') END
       || '" ' || v.number || ' ' || to_char(v.voucher_date, 'YYYYMMDD') || ' "'
       || CASE WHEN v.voucher_text IS NULL THEN ''
               WHEN strpos(v.voucher_text, '"') + strpos(v.voucher_text, '\') + strpos(v.voucher_text, E'\r')
                    + strpos(v.voucher_text, E'\n') = 0 THEN v.voucher_text
               ELSE replace(replace(replace(replace(v.voucher_text, '\', '\\'), '"', '\"'), E'\r', ' '), E'\n', ' ') END
       || '"' || COALESCE(' ' || to_char(v.registration_date, 'YYYYMMDD'), '')
       || E'\r\n{\r\n' || COALESCE(r.text, '') || E'}\r\n' AS text,
       COALESCE(r.row_count, 0) AS row_count
FROM sie_vouchers v
LEFT JOIN records r ON r.series = v.series AND r.number = v.number
WHERE v.client_key = :client_key AND v.financial_year_id = :financial_year_id AND v.voucher_date <= :as_of
ORDER BY v.series, v.number;
