-- The transactional outbox of e-mail (SQLite). Keep in step with ../../postgres/2026-12-03-000006_outbox.
-- A row is written in the transaction of the change that causes it (a new lead, an invoice paid,
-- an attempt put under review) and delivered after the commit by the sender in `web`.
-- See docs/operations.md, "E-mail".

CREATE TABLE outbox_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the event that caused it, e.g. 'lead-42.new-lead'; with the role it makes the Message-ID
    event_key       TEXT NOT NULL,
    recipient_role  TEXT NOT NULL CHECK (recipient_role IN ('staff', 'customer')),
    -- which message it is (the template), e.g. 'new-lead-staff'
    kind            TEXT NOT NULL,
    -- the customer's address; NULL for a staff message (MAIL__STAFF_TO when it is sent)
    to_address      TEXT,
    language        TEXT NOT NULL DEFAULT 'en',
    -- JSON: the facts the templates render (names, amounts, links), fixed at the event
    facts           TEXT NOT NULL,
    -- a reference to an attachment made at sending time (e.g. 'receipt:PUBLIC_ID'), or NULL
    attachment      TEXT,
    -- the subject as last rendered by the sender
    subject         TEXT,
    state           TEXT NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- while 'sending': until when the claiming sender holds it (a crashed sender's claim lapses)
    lease_until     TIMESTAMP,
    last_error      TEXT,
    -- the mail server's answer to the delivery that worked (or the last refusal)
    server_answer   TEXT,
    created_at      TIMESTAMP NOT NULL,
    -- when it last became 'waiting' (its creation, or `ops mail retry`): retries stop 24 h after it
    queued_at       TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,
    -- one message per event and recipient: an event cannot enqueue twice
    UNIQUE (event_key, recipient_role)
);
CREATE INDEX outbox_messages_state_next_idx ON outbox_messages (state, next_attempt_at);
