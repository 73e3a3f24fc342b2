-- Reverses up.sql.
DROP TABLE instance_leases;
DROP INDEX rate_limit_counters_window_start_idx;
DROP TABLE rate_limit_counters;
