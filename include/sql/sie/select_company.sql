SELECT fnr, orgnr, fnamn, adress_street, adress_postal, adress_phone
FROM sie_company
WHERE client_key = :client_key;
