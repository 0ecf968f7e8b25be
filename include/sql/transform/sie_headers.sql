-- The header records written as the SIE source wrote them (the rest the writer makes itself): #FNR as text
-- and #ORGNR with every field, as the source wrote them.
DELETE FROM sie_headers WHERE client_key = :client_key AND financial_year_id = :financial_year_id;
INSERT INTO sie_headers (client_key, financial_year_id, position, label, fields)
SELECT client_key, financial_year_id, position, label, fields
FROM raw_sie_header
WHERE client_key = :client_key AND financial_year_id = :financial_year_id
  AND label IN ('#PROSA', '#FTYP', '#FNR', '#ORGNR', '#ADRESS', '#TAXAR', '#OMFATTN', '#KPTYP', '#VALUTA');
