-- Reverses up.sql. The pg_trgm extension stays: it may have been there before, and other
-- databases' objects may use it.
DROP INDEX IF EXISTS payment_attempts_merchant_reference_trgm_idx;
DROP INDEX IF EXISTS invoices_number_trgm_idx;
DROP INDEX IF EXISTS clients_company_trgm_idx;
DROP INDEX IF EXISTS clients_phone_trgm_idx;
DROP INDEX IF EXISTS clients_email_trgm_idx;
DROP INDEX IF EXISTS clients_name_trgm_idx;
DROP INDEX payment_attempts_status_id_idx;
DROP INDEX invoices_status_id_idx;
DROP INDEX invoices_client_id_id_idx;
DROP INDEX leads_client_id_id_idx;
DROP INDEX invoices_lead_id_idx;
DROP INDEX leads_sales_status_id_idx;
