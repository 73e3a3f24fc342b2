-- The back office's lists (PostgreSQL). Keep in step with ../../sqlite/2026-12-03-000004_back_office_lists.
-- Each list is newest first (by id) with an optional status filter, so each has an index that
-- reads a page in order without sorting. See docs/back-office.md, "Pages".
CREATE INDEX leads_sales_status_id_idx ON leads (sales_status, id);
CREATE INDEX invoices_lead_id_idx ON invoices (lead_id);
-- A client's page lists their leads and invoices newest first.
CREATE INDEX leads_client_id_id_idx ON leads (client_id, id);
CREATE INDEX invoices_client_id_id_idx ON invoices (client_id, id);
CREATE INDEX invoices_status_id_idx ON invoices (status, id);
CREATE INDEX payment_attempts_status_id_idx ON payment_attempts (status, id);

-- The search is a case-insensitive substring (`lower(column) LIKE '%…%'`): trigram indexes on
-- exactly those expressions. Where the pg_trgm extension cannot be installed the block leaves
-- them out (a notice says so) and the search still answers, without them.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX clients_name_trgm_idx ON clients USING gin (lower(name) gin_trgm_ops);
    CREATE INDEX clients_email_trgm_idx ON clients USING gin (lower(email) gin_trgm_ops);
    CREATE INDEX clients_phone_trgm_idx ON clients USING gin (lower(phone) gin_trgm_ops);
    CREATE INDEX clients_company_trgm_idx ON clients USING gin (lower(company) gin_trgm_ops);
    CREATE INDEX invoices_number_trgm_idx ON invoices USING gin (lower(number) gin_trgm_ops);
    CREATE INDEX payment_attempts_merchant_reference_trgm_idx
        ON payment_attempts USING gin (lower(merchant_reference) gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): the back office search runs without trigram indexes', SQLERRM;
END
$$;
