-- Reverses up.sql.
DROP INDEX payment_attempts_status_id_idx;
DROP INDEX invoices_status_id_idx;
DROP INDEX invoices_lead_id_idx;
DROP INDEX leads_sales_status_id_idx;
