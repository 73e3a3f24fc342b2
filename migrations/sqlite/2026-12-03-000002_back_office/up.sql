-- The back office's foundation (SQLite). Keep in step with ../../postgres/2026-12-03-000002_back_office.
-- Staff accounts, their sessions, failed sign-ins (the lockout window), the audit log, and the
-- lead's sales status with its history. See docs/back-office.md.

CREATE TABLE staff_accounts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    email               TEXT NOT NULL,
    -- lower-cased: one account per address whatever its letter case
    email_normalized    TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
    -- an Argon2id PHC string; never the password
    password_hash       TEXT NOT NULL,
    disabled_at         TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_sessions (
    -- hex SHA-256 of the cookie's token; the token itself is never stored
    token_hash     TEXT PRIMARY KEY NOT NULL,
    staff_id       BIGINT NOT NULL REFERENCES staff_accounts (id),
    created_at     TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP NOT NULL,
    client_address TEXT
);
CREATE INDEX staff_sessions_staff_id_idx ON staff_sessions (staff_id);

CREATE TABLE login_failures (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the address as typed, trimmed and lower-cased (it may name no account)
    email          TEXT NOT NULL,
    client_address TEXT NOT NULL,
    at             TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_email_at_idx ON login_failures (email, at);
CREATE INDEX login_failures_client_address_at_idx ON login_failures (client_address, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TIMESTAMP NOT NULL,
    staff_id       BIGINT REFERENCES staff_accounts (id),
    actor_email    TEXT NOT NULL,
    client_address TEXT,
    action         TEXT NOT NULL,
    subject        TEXT,
    "before"       TEXT,
    "after"        TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_staff_id_idx ON audit_log (staff_id);

ALTER TABLE leads ADD COLUMN sales_status TEXT NOT NULL DEFAULT 'new'
    CHECK (sales_status IN ('new', 'contacted', 'qualified', 'won', 'lost'));
CREATE INDEX leads_sales_status_created_at_idx ON leads (sales_status, created_at);

CREATE TABLE lead_status_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id     BIGINT NOT NULL REFERENCES leads (id),
    from_status TEXT NOT NULL CHECK (from_status IN ('new', 'contacted', 'qualified', 'won', 'lost')),
    to_status   TEXT NOT NULL CHECK (to_status IN ('new', 'contacted', 'qualified', 'won', 'lost')),
    staff_id    BIGINT NOT NULL REFERENCES staff_accounts (id),
    note        TEXT,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX lead_status_history_lead_id_at_idx ON lead_status_history (lead_id, at);
