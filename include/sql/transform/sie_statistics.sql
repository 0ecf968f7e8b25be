-- Fresh planner statistics for the voucher tables just loaded (the SIE voucher views read them): without
-- them PostgreSQL takes a year's thousands of rows for one and joins them row by row (minutes instead of a second).
ANALYZE raw_vouchers;
ANALYZE raw_voucher_rows;
