-- PostgreSQL only (E'' strings, to_char, trim_scale; SQLite takes the writer's portable path): the
-- year's vouchers as the SIE records the portable path writes, a voucher's #VER, '{', rows and '}' per
-- result row with CR LF line ends, in file order, and how many rows each holds; a voucher after :as_of
-- has no text (its rows still count, see rows_of_year). Formatting here, beside the data, costs a
-- fraction of fetching a million rows into Python and formatting them there.
-- Reads raw_vouchers and raw_voucher_rows, not the SIE views over them (24, 25 and 29_*.sql), with the
-- views' meanings: a row's cost centre and project are in the row itself, and the objects view, a union
-- over the same table, cost two sorts and two joins back to the rows it came from.
-- Amounts as fields.amount: öre times 0.01 is a numeric of exactly two decimals, "-0.05" included.
-- Quoting as fields.quote (backslash and quote escaped, control characters become spaces), looked for first:
-- most texts need none, and replacing in every one cost more than the rest of a row's formatting.
-- The rows come to string_agg in file order from an ordered subquery (an ORDER BY inside the aggregate
-- sorts every voucher's rows again).
-- rows_of_year, every row of the year, tells the writer whether rows lack their voucher: more than the
-- vouchers' rows together. Counting them cost a fraction of looking for such rows (an anti-join).
WITH records AS (
    SELECT voucher_series AS series, voucher_number AS number, COUNT(*) AS row_count,
           string_agg('#' || record_type || fields || sign_tail || E'\r\n'
                      -- an #RTRANS row is followed by the same row as #TRANS, for readers that predate #RTRANS
                      -- (without the sign, as Fortnox writes it)
                      || CASE WHEN record_type = 'RTRANS' THEN '#TRANS' || fields || plain_tail || E'\r\n' ELSE '' END,
                      '') AS text
    FROM (
        SELECT voucher_series, voucher_number,
               CASE WHEN removed THEN 'BTRANS' WHEN added_after_registration THEN 'RTRANS' ELSE 'TRANS' END AS record_type,
               ' ' || account || ' {'
               || CASE WHEN cost_center <> '' THEN '1 "' || CASE WHEN strpos(cost_center, '"') + strpos(cost_center, '\') = 0 AND cost_center !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
                                         THEN cost_center
                                         ELSE regexp_replace(replace(replace(cost_center, '\', '\\'), '"', '\"'), '[\x01-\x1f\x7f-\x9f\u2028\u2029]', ' ', 'g') END
                           || '"' || CASE WHEN project <> '' THEN ' ' ELSE '' END ELSE '' END
               || CASE WHEN project <> '' THEN '6 "' || CASE WHEN strpos(project, '"') + strpos(project, '\') = 0 AND project !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
                                         THEN project
                                         ELSE regexp_replace(replace(replace(project, '\', '\\'), '"', '\"'), '[\x01-\x1f\x7f-\x9f\u2028\u2029]', ' ', 'g') END || '"' ELSE '' END
               -- the row's own date where its source gave one
               || '} ' || (debit_ore - credit_ore) * 0.01 || ' ' || COALESCE(to_char(row_date, 'YYYYMMDD'), '""') || ' "'
               || CASE WHEN trans_text IS NULL THEN ''
                       ELSE CASE WHEN strpos(trans_text, '"') + strpos(trans_text, '\') = 0 AND trans_text !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
                            THEN trans_text
                            ELSE regexp_replace(replace(replace(trans_text, '\', '\\'), '"', '\"'), '[\x01-\x1f\x7f-\x9f\u2028\u2029]', ' ', 'g') END END
               || '"' AS fields,
               -- the sign where its source gave one, "" holding the place of a missing quantity
               CASE WHEN signature IS NULL THEN COALESCE(' ' || trim_scale(quantity), '')
                    ELSE ' ' || COALESCE(CAST(trim_scale(quantity) AS TEXT), '""') || ' "'
                         || CASE WHEN strpos(signature, '"') + strpos(signature, '\') = 0 AND signature !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
                            THEN signature
                            ELSE regexp_replace(replace(replace(signature, '\', '\\'), '"', '\"'), '[\x01-\x1f\x7f-\x9f\u2028\u2029]', ' ', 'g') END
                         || '"' END AS sign_tail,
               COALESCE(' ' || trim_scale(quantity), '') AS plain_tail
        FROM raw_voucher_rows,
             LATERAL (SELECT COALESCE(NULLIF(transaction_information, ''), description) AS trans_text) AS t
        WHERE client_key = :client_key AND financial_year_id = :financial_year_id
        ORDER BY voucher_series, voucher_number, row_no
    ) AS rows_in_order
    GROUP BY voucher_series, voucher_number
)
SELECT CASE WHEN v.transaction_date <= :as_of THEN
       '#VER "' || CASE WHEN strpos(v.voucher_series, '"') + strpos(v.voucher_series, '\') = 0 AND v.voucher_series !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
                        THEN v.voucher_series
                        ELSE regexp_replace(replace(replace(v.voucher_series, '\', '\\'), '"', '\"'), '[\x01-\x1f\x7f-\x9f\u2028\u2029]', ' ', 'g') END
       || '" ' || v.voucher_number || ' ' || to_char(v.transaction_date, 'YYYYMMDD') || ' "'
       || CASE WHEN v.description IS NULL THEN ''
               ELSE CASE WHEN strpos(v.description, '"') + strpos(v.description, '\') = 0 AND v.description !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
                    THEN v.description
                    ELSE regexp_replace(replace(replace(v.description, '\', '\\'), '"', '\"'), '[\x01-\x1f\x7f-\x9f\u2028\u2029]', ' ', 'g') END END
       -- the sign where its source gave one, "" holding the place of a missing registration date
       || '"' || CASE WHEN v.signature IS NULL THEN COALESCE(' ' || to_char(v.registration_date, 'YYYYMMDD'), '')
                      ELSE ' ' || COALESCE(to_char(v.registration_date, 'YYYYMMDD'), '""') || ' "'
                           || CASE WHEN strpos(v.signature, '"') + strpos(v.signature, '\') = 0 AND v.signature !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
                              THEN v.signature
                              ELSE regexp_replace(replace(replace(v.signature, '\', '\\'), '"', '\"'), '[\x01-\x1f\x7f-\x9f\u2028\u2029]', ' ', 'g') END
                           || '"' END
       || E'\r\n{\r\n' || COALESCE(r.text, '') || E'}\r\n' END AS text,
       COALESCE(r.row_count, 0) AS row_count,
       (SELECT COUNT(*) FROM raw_voucher_rows
        WHERE client_key = :client_key AND financial_year_id = :financial_year_id) AS rows_of_year
FROM raw_vouchers v
LEFT JOIN records r ON r.series = v.voucher_series AND r.number = v.voucher_number
WHERE v.client_key = :client_key AND v.financial_year_id = :financial_year_id
ORDER BY v.voucher_series, v.voucher_number;
