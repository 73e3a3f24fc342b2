//! The transactional outbox of e-mail. A use case adds the messages its change causes with
//! [`enqueue`] inside its own transaction, so a committed change has its messages and a
//! rolled-back one has none; the sender (crate `wetech-mail`) claims them after the commit with
//! [`claim`], sends outside any transaction, and records the outcome with [`mark_sent`],
//! [`mark_retry`] or [`mark_failed`]. States: `waiting` → `sending` (claimed, with a lease) →
//! `sent`, or back to `waiting` for a retry, or `failed` for good (`ops mail retry` makes it
//! `waiting` again).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::dispatch;
use crate::schema::outbox_messages;
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// Who a message goes to: the staff (`MAIL__STAFF_TO` when it is sent) or the customer (the
/// address stored on the row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientRole {
    /// The company's staff.
    Staff,
    /// The client of the lead or invoice.
    Customer,
}

impl RecipientRole {
    /// The stored word.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientRole::Staff => "staff",
            RecipientRole::Customer => "customer",
        }
    }
}

/// What a message says: the facts of its event, fixed when the event happens and rendered by
/// the sender's templates. Stored as JSON in `facts`, its tag in `kind`. Amounts are already
/// formatted (`TZS 500,000.00`); links are absolute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Facts {
    /// A new lead, for the staff: who, what, and the lead's back-office page.
    NewLeadStaff {
        /// The lead's id.
        lead_id: i64,
        /// The client's name.
        name: String,
        /// The client's address.
        email: String,
        /// The client's phone (E.164).
        phone: String,
        /// The client's company.
        company: Option<String>,
        /// The service ordered.
        service: String,
        /// The lead's message.
        message: Option<String>,
        /// The invoice issued.
        invoice_number: String,
        /// Its amount.
        amount: String,
        /// `/admin/leads/{id}`, absolute.
        admin_url: String,
    },
    /// A new lead, for the customer: the invoice and its page.
    NewLeadCustomer {
        /// The client's name.
        name: String,
        /// The service ordered.
        service: String,
        /// The invoice issued.
        invoice_number: String,
        /// Its amount.
        amount: String,
        /// The invoice page, absolute.
        invoice_url: String,
    },
    /// An invoice paid, for the customer: the receipt.
    ReceiptCustomer {
        /// The client's name.
        name: String,
        /// The service paid for.
        service: String,
        /// The invoice paid.
        invoice_number: String,
        /// The amount paid.
        amount: String,
        /// When (UTC, `YYYY-MM-DD HH:MM UTC`).
        paid_at: String,
        /// Pesapal or AzamPay.
        gateway: String,
        /// The gateway's confirmation code, when it gave one.
        confirmation_code: Option<String>,
        /// The invoice page, absolute.
        invoice_url: String,
    },
    /// An invoice paid, for the staff.
    PaidStaff {
        /// The client's name.
        name: String,
        /// The invoice paid.
        invoice_number: String,
        /// The amount paid.
        amount: String,
        /// Pesapal or AzamPay.
        gateway: String,
        /// The gateway's confirmation code.
        confirmation_code: Option<String>,
        /// The invoice's back-office page, absolute.
        admin_url: String,
    },
    /// A payment attempt put under review (a mismatch, a second payment, a bad signature), for
    /// the staff: what happened and what to do.
    ReviewStaff {
        /// The attempt's id.
        attempt_id: i64,
        /// Its invoice.
        invoice_number: String,
        /// Pesapal or AzamPay.
        gateway: String,
        /// The attempt's merchant reference.
        merchant_reference: String,
        /// Why it is under review (`payment_attempts.review_reason`).
        reason: String,
        /// Whether the customer paid twice (a refund is due).
        paid_twice: bool,
        /// The invoice's back-office page, absolute.
        admin_url: String,
    },
    /// A customer message that could not be delivered, for the staff.
    UndeliveredStaff {
        /// The outbox row that failed.
        message_id: i64,
        /// Its kind (e.g. `receipt-customer`).
        failed_kind: String,
        /// The address that refused it.
        to: String,
        /// The last error or server answer.
        error: String,
    },
}

impl Facts {
    /// The tag stored in `kind`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Facts::NewLeadStaff { .. } => "new-lead-staff",
            Facts::NewLeadCustomer { .. } => "new-lead-customer",
            Facts::ReceiptCustomer { .. } => "receipt-customer",
            Facts::PaidStaff { .. } => "paid-staff",
            Facts::ReviewStaff { .. } => "review-staff",
            Facts::UndeliveredStaff { .. } => "undelivered-staff",
        }
    }
}

/// A message to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage<'a> {
    /// The event that causes it, e.g. `lead-42.new-lead`; unique with the role.
    pub event_key: &'a str,
    /// Who it goes to.
    pub role: RecipientRole,
    /// The customer's address (`None` for staff messages).
    pub to_address: Option<&'a str>,
    /// The client's language (`en`, `sw`).
    pub language: &'a str,
    /// What it says.
    pub facts: &'a Facts,
    /// An attachment to make when sending (e.g. `receipt:PUBLIC_ID`).
    pub attachment: Option<&'a str>,
    /// When (UTC): created, queued and first due.
    pub now: NaiveDateTime,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox_messages)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// The event that caused it.
    pub event_key: String,
    /// `staff` or `customer`.
    pub recipient_role: String,
    /// [`Facts::kind`].
    pub kind: String,
    /// The customer's address; `None` for staff.
    pub to_address: Option<String>,
    /// `en`, `sw`.
    pub language: String,
    /// [`Facts`] as JSON ([`OutboxRow::facts`]).
    pub facts: String,
    /// An attachment to make when sending.
    pub attachment: Option<String>,
    /// The subject as last rendered.
    pub subject: Option<String>,
    /// `waiting`, `sending`, `sent`, `failed`.
    pub state: String,
    /// Deliveries tried.
    pub attempts: i32,
    /// When it is next due.
    pub next_attempt_at: NaiveDateTime,
    /// While `sending`: until when the claim holds.
    pub lease_until: Option<NaiveDateTime>,
    /// The last error.
    pub last_error: Option<String>,
    /// The mail server's answer.
    pub server_answer: Option<String>,
    /// Written with its cause.
    pub created_at: NaiveDateTime,
    /// When it last became `waiting`.
    pub queued_at: NaiveDateTime,
    /// When the server accepted it.
    pub sent_at: Option<NaiveDateTime>,
}

impl OutboxRow {
    /// The stored facts.
    ///
    /// # Errors
    /// The stored JSON does not parse (written by an incompatible version).
    pub fn facts(&self) -> Result<Facts, serde_json::Error> {
        serde_json::from_str(&self.facts)
    }

    /// Whether it goes to the staff.
    #[must_use]
    pub fn is_staff(&self) -> bool {
        self.recipient_role == RecipientRole::Staff.as_str()
    }
}

/// Adds `message` unless its (event, role) is already in the outbox
/// (`INSERT … ON CONFLICT DO NOTHING`, so a repeat leaves a PostgreSQL transaction usable).
/// Returns whether it was added. Call it in the transaction of the change that causes it.
///
/// # Errors
/// A database error.
pub fn enqueue(
    conn: &mut DbConnection,
    message: &NewMessage<'_>,
) -> Result<bool, PersistenceError> {
    let facts = serde_json::to_string(message.facts).map_err(|e| {
        PersistenceError::Database(diesel::result::Error::SerializationError(Box::new(e)))
    })?;
    let now = truncate_to_micros(message.now);
    let insert = diesel::insert_into(outbox_messages::table).values((
        outbox_messages::event_key.eq(message.event_key),
        outbox_messages::recipient_role.eq(message.role.as_str()),
        outbox_messages::kind.eq(message.facts.kind()),
        outbox_messages::to_address.eq(message.to_address),
        outbox_messages::language.eq(message.language),
        outbox_messages::facts.eq(&facts),
        outbox_messages::attachment.eq(message.attachment),
        outbox_messages::state.eq("waiting"),
        outbox_messages::attempts.eq(0),
        outbox_messages::next_attempt_at.eq(now),
        outbox_messages::created_at.eq(now),
        outbox_messages::queued_at.eq(now),
    ));
    let added = dispatch!(conn, |c| insert
        .on_conflict((outbox_messages::event_key, outbox_messages::recipient_role))
        .do_nothing()
        .execute(c))?;
    Ok(added == 1)
}

/// Claims up to `limit` messages due at `now` — `waiting` ones whose time has come, and
/// `sending` ones whose lease has lapsed (a sender that crashed or stopped mid-send) — for this
/// sender until `lease_until`: each becomes `sending` with that lease and one more attempt.
/// Call it inside a write transaction; on PostgreSQL the candidates are locked with
/// `FOR UPDATE SKIP LOCKED`, so several senders take disjoint batches without waiting; on
/// SQLite the write transaction (`BEGIN IMMEDIATE`) lets one sender claim at a time. Oldest due
/// first.
///
/// # Errors
/// A database error.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<OutboxRow>, PersistenceError> {
    use diesel::sql_types::Timestamp;
    if limit <= 0 {
        return Ok(Vec::new());
    }
    // One statement, the same text on every call: the limit is written into it (an integer, so
    // nothing to escape), because SQLite re-plans a cached statement whenever a LIMIT it reads
    // is bound again, and the claimed ids are chosen by a subquery rather than sent back as an
    // `IN (…)` list of varying length, which no statement cache can hold. Callgrind counted the
    // three statements it replaces (select ids, update, select rows) at 1.9 million instructions
    // a claim on SQLite, mostly preparing them.
    let (p, lock) = match conn {
        DbConnection::Pg(_) => (["$1", "$2", "$3"], " FOR UPDATE SKIP LOCKED"),
        DbConnection::Sqlite(_) => (["?", "?", "?"], ""),
    };
    let sql = format!(
        "UPDATE outbox_messages SET state = 'sending', lease_until = {}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox_messages \
            WHERE (state = 'waiting' AND next_attempt_at <= {}) \
               OR (state = 'sending' AND lease_until < {}) \
            ORDER BY next_attempt_at, id LIMIT {limit}{lock}) \
         RETURNING *",
        p[0], p[1], p[2]
    );
    let now = truncate_to_micros(now);
    let mut rows: Vec<OutboxRow> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(truncate_to_micros(lease_until))
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .load(conn)?;
    // RETURNING keeps no order.
    rows.sort_by_key(|r| (r.next_attempt_at, r.id));
    Ok(rows)
}

/// The row `id` while this sender's claim (`lease_until`) still holds it.
macro_rules! held {
    ($id:expr, $lease:expr) => {
        outbox_messages::table
            .filter(outbox_messages::id.eq($id))
            .filter(outbox_messages::state.eq("sending"))
            .filter(outbox_messages::lease_until.eq(truncate_to_micros($lease)))
    };
}

/// Records that the server accepted message `id` (claimed until `lease_until`) with `answer`.
/// Returns whether the claim still held (if not, another sender has taken it over).
///
/// # Errors
/// A database error.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    lease_until: NaiveDateTime,
    subject: &str,
    answer: &str,
    now: NaiveDateTime,
) -> Result<bool, PersistenceError> {
    // Once per message sent: on the backend's own connection (see `dispatch!`).
    let n = dispatch!(conn, |c| diesel::update(held!(id, lease_until))
        .set((
            outbox_messages::state.eq("sent"),
            outbox_messages::lease_until.eq(None::<NaiveDateTime>),
            outbox_messages::subject.eq(subject),
            outbox_messages::server_answer.eq(answer),
            outbox_messages::sent_at.eq(truncate_to_micros(now)),
        ))
        .execute(c))?;
    Ok(n == 1)
}

/// Puts message `id` back to `waiting` until `next_attempt_at` after a failed delivery.
/// Returns whether the claim still held.
///
/// # Errors
/// A database error.
pub fn mark_retry(
    conn: &mut DbConnection,
    id: i64,
    lease_until: NaiveDateTime,
    next_attempt_at: NaiveDateTime,
    error: &str,
    answer: Option<&str>,
) -> Result<bool, PersistenceError> {
    let n = diesel::update(held!(id, lease_until))
        .set((
            outbox_messages::state.eq("waiting"),
            outbox_messages::lease_until.eq(None::<NaiveDateTime>),
            outbox_messages::next_attempt_at.eq(truncate_to_micros(next_attempt_at)),
            outbox_messages::last_error.eq(error),
            outbox_messages::server_answer.eq(answer),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Gives message `id` up: `failed`, with the last error. Returns whether the claim still held.
///
/// # Errors
/// A database error.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    lease_until: NaiveDateTime,
    error: &str,
    answer: Option<&str>,
) -> Result<bool, PersistenceError> {
    let n = diesel::update(held!(id, lease_until))
        .set((
            outbox_messages::state.eq("failed"),
            outbox_messages::lease_until.eq(None::<NaiveDateTime>),
            outbox_messages::last_error.eq(error),
            outbox_messages::server_answer.eq(answer),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Makes `failed` messages `waiting` again, due at `now` with a fresh retry window: every
/// failed one, or only those queued at or after `queued_since`. Returns how many.
///
/// # Errors
/// A database error.
pub fn retry_failed(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    queued_since: Option<NaiveDateTime>,
) -> Result<usize, PersistenceError> {
    let now = truncate_to_micros(now);
    let mut target = outbox_messages::table
        .filter(outbox_messages::state.eq("failed"))
        .into_boxed();
    if let Some(since) = queued_since {
        target = target.filter(outbox_messages::queued_at.ge(truncate_to_micros(since)));
    }
    let ids: Vec<i64> = target.select(outbox_messages::id).load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::update(outbox_messages::table.filter(outbox_messages::id.eq_any(&ids)))
            .set((
                outbox_messages::state.eq("waiting"),
                outbox_messages::attempts.eq(0),
                outbox_messages::next_attempt_at.eq(now),
                outbox_messages::queued_at.eq(now),
            ))
            .execute(conn)?,
    )
}

/// How the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxStatus {
    /// Not yet delivered (`waiting` or `sending`).
    pub waiting: i64,
    /// Given up.
    pub failed: i64,
    /// Delivered.
    pub sent: i64,
    /// When the oldest undelivered message was queued.
    pub oldest_waiting_since: Option<NaiveDateTime>,
}

/// Counts by state and the oldest undelivered message.
///
/// # Errors
/// A database error.
pub fn status(conn: &mut DbConnection) -> Result<OutboxStatus, PersistenceError> {
    let counts: Vec<(String, i64)> = outbox_messages::table
        .group_by(outbox_messages::state)
        .select((outbox_messages::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut status = OutboxStatus::default();
    for (state, n) in counts {
        match state.as_str() {
            "waiting" | "sending" => status.waiting += n,
            "failed" => status.failed += n,
            "sent" => status.sent += n,
            _ => {}
        }
    }
    status.oldest_waiting_since = outbox_messages::table
        .filter(outbox_messages::state.eq_any(["waiting", "sending"]))
        .select(diesel::dsl::min(outbox_messages::queued_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(status)
}

/// Every message of events whose key starts with `prefix` (e.g. `lead-42.`), oldest first.
///
/// # Errors
/// A database error.
pub fn list_for_event(
    conn: &mut DbConnection,
    prefix: &str,
) -> Result<Vec<OutboxRow>, PersistenceError> {
    Ok(outbox_messages::table
        .filter(outbox_messages::event_key.like(format!("{prefix}%")))
        .order(outbox_messages::id)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// Every message, oldest first (for tests and `ops`; the outbox is small).
///
/// # Errors
/// A database error.
pub fn list_all(conn: &mut DbConnection) -> Result<Vec<OutboxRow>, PersistenceError> {
    Ok(outbox_messages::table
        .order(outbox_messages::id)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// Hands message `id` back unsent (a sender stopping before it got to it): `waiting` again at
/// once, the try not counted. Returns whether the claim still held.
///
/// # Errors
/// A database error.
pub fn release(
    conn: &mut DbConnection,
    id: i64,
    lease_until: NaiveDateTime,
) -> Result<bool, PersistenceError> {
    let n = diesel::update(held!(id, lease_until))
        .set((
            outbox_messages::state.eq("waiting"),
            outbox_messages::lease_until.eq(None::<NaiveDateTime>),
            outbox_messages::attempts.eq(outbox_messages::attempts - 1),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
