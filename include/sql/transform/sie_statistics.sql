-- Fresh planner statistics for the voucher tables just rebuilt: without them PostgreSQL takes a year's
-- thousands of rows for one and joins them row by row (minutes instead of a second).
ANALYZE sie_vouchers;
ANALYZE sie_transactions;
ANALYZE sie_transaction_objects;
