-- The back office's lists (SQLite). Keep in step with ../../postgres/2026-12-03-000004_back_office_lists.
-- Each list is newest first (by id) with an optional status filter, so each has an index that
-- reads a page in order without sorting. See docs/back-office.md, "Pages".
CREATE INDEX leads_sales_status_id_idx ON leads (sales_status, id);
CREATE INDEX invoices_lead_id_idx ON invoices (lead_id);
-- A client's page lists their leads and invoices newest first: leads_client_id_idx and
-- invoices_client_id_idx already do it here, since an SQLite index ends with the rowid (= id).
-- PostgreSQL needs (client_id, id).
CREATE INDEX invoices_status_id_idx ON invoices (status, id);
CREATE INDEX payment_attempts_status_id_idx ON payment_attempts (status, id);
