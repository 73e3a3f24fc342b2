-- Reverses up.sql.
DROP INDEX leads_created_at_idx;
DROP INDEX clients_company_prefix_idx;
DROP INDEX clients_email_prefix_idx;
DROP INDEX clients_name_prefix_idx;
