-- The year's movements (year_movements.sql, year_object_movements.sql) have been turned into balances; the
-- connection may serve other years.
DROP TABLE year_movements;
DROP TABLE year_object_movements;
