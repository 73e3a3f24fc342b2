-- Reverses up.sql: `refunds` dropped, `invoices` rebuilt (as up.sql does) with the former CHECK
-- constraint. A `void` invoice goes back to `unpaid` and a `refunded` one to `paid` (the former
-- states that come closest; the refund rows that explained them are gone with their table).
DROP TABLE refunds;
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
    status       TEXT   NOT NULL CHECK (status IN ('unpaid', 'pending', 'paid', 'reversed')),
    issued_at    TIMESTAMP NOT NULL,
    paid_at      TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL
);
INSERT INTO invoices (id, public_id, number, client_id, lead_id, service_code, service_name,
        amount_minor, currency, status, issued_at, paid_at, updated_at)
    SELECT id, public_id, number, client_id, lead_id, service_code, service_name,
           amount_minor, currency, CASE status WHEN 'void' THEN 'unpaid' WHEN 'refunded' THEN 'paid' ELSE status END, issued_at, paid_at, updated_at
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
