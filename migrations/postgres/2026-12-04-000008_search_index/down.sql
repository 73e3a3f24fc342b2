-- Reverses up.sql.
DROP INDEX invoices_status_paid_at_idx;
DROP INDEX invoices_status_currency_amount_idx;
DROP INDEX leads_created_at_idx;
DROP INDEX clients_company_prefix_idx;
DROP INDEX clients_email_prefix_idx;
DROP INDEX clients_name_prefix_idx;
