-- Reverses up.sql: `payment_attempts` (and `payment_events`, whose foreign key names it) rebuilt
-- with the former CHECK constraint and the `needs_review` flag. An attempt in `review` goes back
-- to the state it left for review (from its history), flagged; a reversed one is flagged, as the
-- code before this migration flagged every reversal.
ALTER TABLE payment_events RENAME TO payment_events_new;
ALTER TABLE payment_attempts RENAME TO payment_attempts_new;

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
, reconcile_claimed_until TIMESTAMP NULL);
INSERT INTO payment_attempts (id, invoice_id, merchant_reference, gateway, gateway_reference,
        amount_minor, currency, status, payer_account, payer_phone, provider, method,
        confirmation_code, failure_reason, needs_review, review_reason, created_at, updated_at,
        reconcile_claimed_until)
    SELECT a.id, a.invoice_id, a.merchant_reference, a.gateway, a.gateway_reference,
           a.amount_minor, a.currency,
           CASE WHEN a.status = 'review' THEN COALESCE(
               (SELECT h.from_status FROM attempt_status_history h
                 WHERE h.attempt_id = a.id AND h.to_status = 'review' AND h.from_status IS NOT NULL
                 ORDER BY h.id DESC LIMIT 1),
               'pending') ELSE a.status END,
           a.payer_account, a.payer_phone, a.provider, a.method, a.confirmation_code,
           a.failure_reason, CASE WHEN a.status IN ('review', 'reversed') THEN 1 ELSE 0 END, a.review_reason,
           a.created_at, a.updated_at, a.reconcile_claimed_until
      FROM payment_attempts_new a;

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
INSERT INTO payment_events (id, attempt_id, gateway, kind, dedupe_key, payload, received_at, outcome)
    SELECT id, attempt_id, gateway, kind, dedupe_key, payload, received_at, outcome
      FROM payment_events_new;

DELETE FROM sqlite_sequence WHERE name IN ('payment_attempts', 'payment_events');
UPDATE sqlite_sequence SET name = 'payment_attempts' WHERE name = 'payment_attempts_new';
UPDATE sqlite_sequence SET name = 'payment_events' WHERE name = 'payment_events_new';

DROP TABLE attempt_status_history;
DROP TABLE payment_events_new;
DROP TABLE payment_attempts_new;

CREATE INDEX payment_attempts_gateway_reference_idx ON payment_attempts (gateway, gateway_reference);
CREATE INDEX payment_attempts_invoice_id_idx ON payment_attempts (invoice_id);
CREATE INDEX payment_attempts_status_created_at_idx ON payment_attempts (status, created_at);
CREATE INDEX payment_events_attempt_id_idx ON payment_events (attempt_id);
