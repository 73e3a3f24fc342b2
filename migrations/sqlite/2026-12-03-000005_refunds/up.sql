-- The back office's money actions (docs/back-office.md, "Actions"): an invoice may become `void`
-- (voided while unpaid) or `refunded` (its whole amount refunded), and every refund is a row of
-- `refunds` with who asked for it and what the gateway answered.
--
-- SQLite cannot change a CHECK constraint in place, so `invoices` is rebuilt. It is not renamed
-- (a rename would rewrite the foreign keys of `payment_attempts` to name the old table): its
-- rows are copied aside, the table dropped and created again under its own name, and the rows
-- put back. `defer_foreign_keys` lets the attempts point at no invoice for that moment, inside
-- this transaction only; putting the rows back resolves every reference before the commit
-- checks them. Every row, id, sequence value, index and foreign key is kept.
CREATE TABLE invoices_copy AS SELECT * FROM invoices;
CREATE TABLE invoices_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'invoices';
PRAGMA defer_foreign_keys = ON;
DROP TABLE invoices;

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
    status       TEXT   NOT NULL CHECK (status IN ('unpaid', 'pending', 'paid', 'reversed', 'void', 'refunded')),
    issued_at    TIMESTAMP NOT NULL,
    paid_at      TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL
);
INSERT INTO invoices (id, public_id, number, client_id, lead_id, service_code, service_name,
        amount_minor, currency, status, issued_at, paid_at, updated_at)
    SELECT id, public_id, number, client_id, lead_id, service_code, service_name,
           amount_minor, currency, status, issued_at, paid_at, updated_at
      FROM invoices_copy ORDER BY id;

-- The sequence carries on where it was (the copy would restart it at the highest id kept).
DELETE FROM sqlite_sequence WHERE name = 'invoices';
INSERT INTO sqlite_sequence (name, seq) SELECT 'invoices', seq FROM invoices_sequence;

DROP TABLE invoices_sequence;
DROP TABLE invoices_copy;

CREATE INDEX invoices_client_id_idx ON invoices (client_id);
-- The list indexes of 2026-12-03-000004_back_office_lists, lost with the old table.
CREATE INDEX invoices_lead_id_idx ON invoices (lead_id);
CREATE INDEX invoices_status_id_idx ON invoices (status, id);

-- One row per refund of a payment attempt. `state`: `requested` (Pesapal accepted the
-- RefundRequest: queued for the merchant's approval), `recorded` (made outside, e.g. an AzamPay
-- refund, with its `external_reference`), `refused` (the gateway said no; `gateway_answer` says
-- why). A refused refund does not count against what may still be refunded.
CREATE TABLE refunds (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id         BIGINT NOT NULL REFERENCES payment_attempts (id),
    amount_minor       BIGINT NOT NULL CHECK (amount_minor > 0),
    currency           TEXT   NOT NULL CHECK (length(currency) = 3),
    reason             TEXT   NOT NULL,
    staff_id           BIGINT REFERENCES staff_accounts (id),
    state              TEXT   NOT NULL CHECK (state IN ('requested', 'recorded', 'refused')),
    gateway_answer     TEXT,
    external_reference TEXT,
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX refunds_attempt_id_idx ON refunds (attempt_id, id);
