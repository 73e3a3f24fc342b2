-- The `review` attempt state (docs/flow.md): a person must look, it never settles by itself. It
-- replaces the `needs_review` flag (an attempt flagged so far goes to `review`, a reversed one
-- keeps its own state); `review_reason` stays and says why. Every change of an attempt's state
-- is recorded in `attempt_status_history` with its cause.
--
-- SQLite cannot change a CHECK constraint in place, so `payment_attempts` is rebuilt, and
-- `payment_events` with it (its foreign key names the table; a plain rebuild would break it
-- while foreign keys are enforced inside the migration's transaction). Every row, id, sequence
-- value, index and foreign key is kept.
ALTER TABLE payment_events RENAME TO payment_events_old;
ALTER TABLE payment_attempts RENAME TO payment_attempts_old;

CREATE TABLE payment_attempts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id         BIGINT  NOT NULL REFERENCES invoices (id),
    merchant_reference TEXT    NOT NULL UNIQUE,
    gateway            TEXT    NOT NULL,
    gateway_reference  TEXT,
    amount_minor       BIGINT  NOT NULL CHECK (amount_minor > 0),
    currency           TEXT    NOT NULL CHECK (length(currency) = 3),
    status             TEXT    NOT NULL CHECK (status IN ('initiated', 'pending', 'completed', 'failed', 'expired', 'reversed', 'review')),
    payer_account      TEXT,
    payer_phone        TEXT,
    provider           TEXT,
    method             TEXT,
    confirmation_code  TEXT,
    failure_reason     TEXT,
    review_reason      TEXT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    reconcile_claimed_until TIMESTAMP NULL
);
INSERT INTO payment_attempts (id, invoice_id, merchant_reference, gateway, gateway_reference,
        amount_minor, currency, status, payer_account, payer_phone, provider, method,
        confirmation_code, failure_reason, review_reason, created_at, updated_at,
        reconcile_claimed_until)
    SELECT id, invoice_id, merchant_reference, gateway, gateway_reference, amount_minor, currency,
           CASE WHEN needs_review AND status <> 'reversed' THEN 'review' ELSE status END,
           payer_account, payer_phone, provider, method, confirmation_code, failure_reason,
           review_reason, created_at, updated_at, reconcile_claimed_until
      FROM payment_attempts_old;

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
      FROM payment_events_old;

CREATE TABLE attempt_status_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id  BIGINT NOT NULL REFERENCES payment_attempts (id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    cause       TEXT NOT NULL,
    at          TIMESTAMP NOT NULL
);
-- What is known of the attempts recorded before the history was kept: where they stand, and
-- (for those moved to `review` above) the move with its reason.
INSERT INTO attempt_status_history (attempt_id, from_status, to_status, cause, at)
    SELECT id, NULL, status, 'recorded before the state history was kept', updated_at
      FROM payment_attempts_old ORDER BY id;
INSERT INTO attempt_status_history (attempt_id, from_status, to_status, cause, at)
    SELECT id, status, 'review', COALESCE(review_reason, 'flagged for review'), updated_at
      FROM payment_attempts_old WHERE needs_review AND status <> 'reversed' ORDER BY id;

-- The sequences carry on where they were (a rebuilt table would restart at its highest id).
DELETE FROM sqlite_sequence WHERE name IN ('payment_attempts', 'payment_events');
UPDATE sqlite_sequence SET name = 'payment_attempts' WHERE name = 'payment_attempts_old';
UPDATE sqlite_sequence SET name = 'payment_events' WHERE name = 'payment_events_old';

DROP TABLE payment_events_old;
DROP TABLE payment_attempts_old;

CREATE INDEX payment_attempts_gateway_reference_idx ON payment_attempts (gateway, gateway_reference);
CREATE INDEX payment_attempts_invoice_id_idx ON payment_attempts (invoice_id);
CREATE INDEX payment_attempts_status_created_at_idx ON payment_attempts (status, created_at);
CREATE INDEX payment_events_attempt_id_idx ON payment_events (attempt_id);
CREATE INDEX attempt_status_history_attempt_id_idx ON attempt_status_history (attempt_id, id);
