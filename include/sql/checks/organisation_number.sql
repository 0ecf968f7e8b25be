-- The company Fortnox gave, and the company written to the SIE file, when either is not the
-- client's organisation number; a row of NULLs when no company information is staged at all.
SELECT 'Fortnox' AS source, r.company_name, r.organisation_number
FROM (SELECT 1 AS one) always
LEFT JOIN raw_company_information r ON r.client_key = :client_key
WHERE r.organisation_number IS NULL OR r.organisation_number <> :organisation_number
UNION ALL
SELECT 'the SIE tables', s.fnamn, s.orgnr
FROM sie_company s
WHERE s.client_key = :client_key AND s.orgnr <> :organisation_number
