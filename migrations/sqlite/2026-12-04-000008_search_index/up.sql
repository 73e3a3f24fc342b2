-- The back office's search (SQLite). Keep in step with ../../postgres/2026-12-04-000008_search_index.
-- See docs/operations.md, "Back office: search".
--
-- A substring search (3 characters or more) reads FTS5 tables with the trigram tokenizer, each an
-- external-content index of the columns searched (rowid = the row's id), kept in step by the
-- triggers below and filled from the existing rows here. A migration that rebuilds one of these
-- tables (CREATE new, copy, DROP, RENAME) drops its triggers and must create them again.
CREATE VIRTUAL TABLE clients_search USING fts5(
    name, email, phone, company,
    content='clients', content_rowid='id', tokenize='trigram'
);
INSERT INTO clients_search (clients_search) VALUES ('rebuild');

CREATE TRIGGER clients_search_insert AFTER INSERT ON clients BEGIN
    INSERT INTO clients_search (rowid, name, email, phone, company)
        VALUES (new.id, new.name, new.email, new.phone, new.company);
END;
CREATE TRIGGER clients_search_delete AFTER DELETE ON clients BEGIN
    INSERT INTO clients_search (clients_search, rowid, name, email, phone, company)
        VALUES ('delete', old.id, old.name, old.email, old.phone, old.company);
END;
CREATE TRIGGER clients_search_update AFTER UPDATE OF id, name, email, phone, company ON clients BEGIN
    INSERT INTO clients_search (clients_search, rowid, name, email, phone, company)
        VALUES ('delete', old.id, old.name, old.email, old.phone, old.company);
    INSERT INTO clients_search (rowid, name, email, phone, company)
        VALUES (new.id, new.name, new.email, new.phone, new.company);
END;

CREATE VIRTUAL TABLE invoices_search USING fts5(
    number, content='invoices', content_rowid='id', tokenize='trigram'
);
INSERT INTO invoices_search (invoices_search) VALUES ('rebuild');

CREATE TRIGGER invoices_search_insert AFTER INSERT ON invoices BEGIN
    INSERT INTO invoices_search (rowid, number) VALUES (new.id, new.number);
END;
CREATE TRIGGER invoices_search_delete AFTER DELETE ON invoices BEGIN
    INSERT INTO invoices_search (invoices_search, rowid, number) VALUES ('delete', old.id, old.number);
END;
CREATE TRIGGER invoices_search_update AFTER UPDATE OF id, number ON invoices BEGIN
    INSERT INTO invoices_search (invoices_search, rowid, number) VALUES ('delete', old.id, old.number);
    INSERT INTO invoices_search (rowid, number) VALUES (new.id, new.number);
END;

CREATE VIRTUAL TABLE payment_attempts_search USING fts5(
    merchant_reference, content='payment_attempts', content_rowid='id', tokenize='trigram'
);
INSERT INTO payment_attempts_search (payment_attempts_search) VALUES ('rebuild');

CREATE TRIGGER payment_attempts_search_insert AFTER INSERT ON payment_attempts BEGIN
    INSERT INTO payment_attempts_search (rowid, merchant_reference)
        VALUES (new.id, new.merchant_reference);
END;
CREATE TRIGGER payment_attempts_search_delete AFTER DELETE ON payment_attempts BEGIN
    INSERT INTO payment_attempts_search (payment_attempts_search, rowid, merchant_reference)
        VALUES ('delete', old.id, old.merchant_reference);
END;
CREATE TRIGGER payment_attempts_search_update AFTER UPDATE OF id, merchant_reference ON payment_attempts BEGIN
    INSERT INTO payment_attempts_search (payment_attempts_search, rowid, merchant_reference)
        VALUES ('delete', old.id, old.merchant_reference);
    INSERT INTO payment_attempts_search (rowid, merchant_reference)
        VALUES (new.id, new.merchant_reference);
END;

-- A text of 1 or 2 characters is a prefix of the client's name, e-mail or company, read as a
-- range of these indexes (the e-mail's is the unique index on email_normalized).
CREATE INDEX clients_name_lower_idx ON clients (lower(name));
CREATE INDEX clients_company_lower_idx ON clients (lower(company));

-- The dashboard's "new leads today / in 7 days".
CREATE INDEX leads_created_at_idx ON leads (created_at);
-- The dashboard's totals per currency (unpaid; paid since a date) read from these indexes alone.
CREATE INDEX invoices_status_currency_amount_idx ON invoices (status, currency, amount_minor);
CREATE INDEX invoices_status_paid_at_idx ON invoices (status, paid_at, currency, amount_minor);
