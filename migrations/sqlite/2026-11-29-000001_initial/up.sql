-- wetech initial schema (SQLite). Keep in step with ../../postgres/2026-11-29-000001_initial.
-- Conventions: ids are INTEGER rowids, money is integer minor units + ISO-4217 code,
-- timestamps are naive UTC (TEXT "YYYY-MM-DD HH:MM:SS.ffffff"), statuses are lower-case text.

CREATE TABLE services (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    price_minor BIGINT  NOT NULL CHECK (price_minor >= 0),
    currency    TEXT    NOT NULL CHECK (length(currency) = 3),
    active      BOOLEAN NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- The default catalogue (CONTRACT.md section 3); TZS has two decimal places.
INSERT INTO services (code, name, price_minor, currency, active, created_at, updated_at) VALUES
    ('WEB-BASIC', 'Business website',   50000000, 'TZS', 1, strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')),
    ('WEB-PRO',   'E-commerce website', 150000000, 'TZS', 1, strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')),
    ('HOSTING',   'Hosting, one year',  12000000, 'TZS', 1, strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now'));

CREATE TABLE clients (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    phone            TEXT NOT NULL,
    company          TEXT,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE leads (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id  BIGINT NOT NULL REFERENCES clients (id),
    service_id BIGINT NOT NULL REFERENCES services (id),
    message    TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX leads_client_id_idx ON leads (client_id);

CREATE TABLE invoice_counters (
    year       INTEGER PRIMARY KEY,
    last_value BIGINT NOT NULL CHECK (last_value >= 0)
);

CREATE TABLE invoices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT   NOT NULL UNIQUE,
    number       TEXT   NOT NULL UNIQUE,
    client_id    BIGINT NOT NULL REFERENCES clients (id),
    lead_id      BIGINT REFERENCES leads (id),
    service_code TEXT   NOT NULL,
    service_name TEXT   NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT   NOT NULL CHECK (length(currency) = 3),
    status       TEXT   NOT NULL CHECK (status IN ('unpaid', 'pending', 'paid', 'reversed')),
    issued_at    TIMESTAMP NOT NULL,
    paid_at      TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX invoices_client_id_idx ON invoices (client_id);

CREATE TABLE payment_attempts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id         BIGINT  NOT NULL REFERENCES invoices (id),
    merchant_reference TEXT    NOT NULL UNIQUE,
    gateway            TEXT    NOT NULL,
    gateway_reference  TEXT,
    amount_minor       BIGINT  NOT NULL CHECK (amount_minor > 0),
    currency           TEXT    NOT NULL CHECK (length(currency) = 3),
    status             TEXT    NOT NULL CHECK (status IN ('initiated', 'pending', 'completed', 'failed', 'expired', 'reversed')),
    payer_account      TEXT,
    payer_phone        TEXT,
    provider           TEXT,
    method             TEXT,
    confirmation_code  TEXT,
    failure_reason     TEXT,
    needs_review       BOOLEAN NOT NULL DEFAULT 0 CHECK (needs_review IN (0, 1)),
    review_reason      TEXT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX payment_attempts_gateway_reference_idx ON payment_attempts (gateway, gateway_reference);
CREATE INDEX payment_attempts_invoice_id_idx ON payment_attempts (invoice_id);
CREATE INDEX payment_attempts_status_created_at_idx ON payment_attempts (status, created_at);

CREATE TABLE payment_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id  BIGINT REFERENCES payment_attempts (id),
    gateway     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    outcome     TEXT NOT NULL,
    UNIQUE (gateway, dedupe_key)
);
CREATE INDEX payment_events_attempt_id_idx ON payment_events (attempt_id);

CREATE TABLE idempotency_keys (
    scope               TEXT    NOT NULL,
    key                 TEXT    NOT NULL,
    request_fingerprint TEXT    NOT NULL,
    response_status     INTEGER NOT NULL,
    response_body       TEXT    NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

CREATE TABLE app_settings (
    key        TEXT NOT NULL PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
