-- Fresh planner statistics for the balance tables just rebuilt, for the writer's and the checks' queries
-- (the voucher tables' statistics, taken before the balances were built, still hold).
ANALYZE sie_balances;
ANALYZE sie_object_balances;
ANALYZE sie_period_balances;
