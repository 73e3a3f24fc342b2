-- Reverses up.sql, in reverse dependency order (indexes go with their tables).
DROP TABLE lead_status_history;
DROP INDEX leads_sales_status_created_at_idx;
ALTER TABLE leads DROP COLUMN sales_status;
DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE staff_sessions;
DROP TABLE staff_accounts;
