-- The back office's search (PostgreSQL). Keep in step with ../../sqlite/2026-12-04-000008_search_index.
-- See docs/operations.md, "Back office: search".
--
-- A substring search (3 characters or more) uses the pg_trgm GIN indexes of
-- 2026-12-03-000004_back_office_lists. A text of 1 or 2 characters is a prefix of the client's
-- name, e-mail or company (`lower(column) LIKE 'ab%'`), which these btree indexes answer in any
-- collation (text_pattern_ops compares characters, not the locale's order).
CREATE INDEX clients_name_prefix_idx ON clients (lower(name) text_pattern_ops);
CREATE INDEX clients_email_prefix_idx ON clients (lower(email) text_pattern_ops);
CREATE INDEX clients_company_prefix_idx ON clients (lower(company) text_pattern_ops);

-- The dashboard's "new leads today / in 7 days".
CREATE INDEX leads_created_at_idx ON leads (created_at);
-- The dashboard's totals per currency (unpaid; paid since a date) read from these indexes alone.
CREATE INDEX invoices_status_currency_amount_idx ON invoices (status, currency, amount_minor);
CREATE INDEX invoices_status_paid_at_idx ON invoices (status, paid_at, currency, amount_minor);
