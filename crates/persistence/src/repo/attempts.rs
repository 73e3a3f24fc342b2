//! Payment attempts: one row per try with one gateway, each with its own merchant reference.
//! Every function here that changes an attempt's state also records the change with its cause
//! in [`super::attempt_history`], in the same transaction, so no caller can forget it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::{AttemptEvent, AttemptStatus, Currency, Gateway, MerchantReference};

use super::{TextColumn, attempt_history};
use crate::schema::payment_attempts;
use crate::{DbConnection, PersistenceError, in_savepoint, now_utc, truncate_to_micros};

/// A payment attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AttemptRow {
    /// Row id.
    pub id: i64,
    /// The invoice being paid.
    pub invoice_id: i64,
    /// Our unique reference sent to the gateway.
    #[diesel(deserialize_as = TextColumn)]
    pub merchant_reference: MerchantReference,
    /// `pesapal` or `azampay`.
    #[diesel(deserialize_as = TextColumn)]
    pub gateway: Gateway,
    /// The gateway's id for it (e.g. Pesapal's OrderTrackingId), once known.
    pub gateway_reference: Option<String>,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO-4217 code.
    #[diesel(deserialize_as = TextColumn)]
    pub currency: Currency,
    /// Current state.
    #[diesel(deserialize_as = TextColumn)]
    pub status: AttemptStatus,
    /// Account the payer paid from, as the gateway reports it.
    pub payer_account: Option<String>,
    /// Phone the payment was pushed to (mobile money).
    pub payer_phone: Option<String>,
    /// Mobile-money provider (e.g. `Airtel`).
    pub provider: Option<String>,
    /// Payment method the gateway reports (e.g. `Visa`).
    pub method: Option<String>,
    /// The gateway's confirmation code.
    pub confirmation_code: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Why it was put under `review` (the last time), if it was.
    pub review_reason: Option<String>,
    /// Creation (UTC).
    pub created_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
    /// Until when a reconciler holds it (see [`claim_for_reconcile`]).
    pub reconcile_claimed_until: Option<NaiveDateTime>,
}

/// A payment attempt to record (before the gateway is called).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAttempt<'a> {
    /// The invoice being paid.
    pub invoice_id: i64,
    /// Unique merchant reference.
    pub merchant_reference: &'a str,
    /// The gateway it goes through.
    pub gateway: Gateway,
    /// Amount in minor units (the invoice's).
    pub amount_minor: i64,
    /// ISO-4217 code.
    pub currency: &'a str,
    /// Initial state, normally [`AttemptStatus::Initiated`].
    pub status: AttemptStatus,
    /// Phone to push to (mobile money).
    pub payer_phone: Option<&'a str>,
    /// Mobile-money provider.
    pub provider: Option<&'a str>,
}

/// Fields to set together with a state change; `None` leaves a field unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = payment_attempts)]
pub struct AttemptUpdate<'a> {
    /// The gateway's id for the attempt.
    pub gateway_reference: Option<&'a str>,
    /// Account the payer paid from.
    pub payer_account: Option<&'a str>,
    /// Phone the payment came from.
    pub payer_phone: Option<&'a str>,
    /// Mobile-money provider.
    pub provider: Option<&'a str>,
    /// Payment method.
    pub method: Option<&'a str>,
    /// Confirmation code.
    pub confirmation_code: Option<&'a str>,
    /// Failure reason.
    pub failure_reason: Option<&'a str>,
}

/// Records an attempt (and, in its history, that it was recorded).
///
/// # Errors
/// [`PersistenceError::Conflict`] when the merchant reference is taken; other database errors.
pub fn insert(
    conn: &mut DbConnection,
    attempt: &NewAttempt<'_>,
) -> Result<AttemptRow, PersistenceError> {
    let now = now_utc();
    in_savepoint(conn, |conn| {
        let row = insert_row(conn, attempt, now)?;
        attempt_history::record(
            conn,
            row.id,
            None,
            row.status,
            "payment attempt recorded",
            now,
        )?;
        Ok(row)
    })
}

fn insert_row(
    conn: &mut DbConnection,
    attempt: &NewAttempt<'_>,
    now: NaiveDateTime,
) -> Result<AttemptRow, PersistenceError> {
    Ok(diesel::insert_into(payment_attempts::table)
        .values((
            payment_attempts::invoice_id.eq(attempt.invoice_id),
            payment_attempts::merchant_reference.eq(attempt.merchant_reference),
            payment_attempts::gateway.eq(attempt.gateway.as_str()),
            payment_attempts::amount_minor.eq(attempt.amount_minor),
            payment_attempts::currency.eq(attempt.currency),
            payment_attempts::status.eq(attempt.status.as_str()),
            payment_attempts::payer_phone.eq(attempt.payer_phone),
            payment_attempts::provider.eq(attempt.provider),
            payment_attempts::created_at.eq(now),
            payment_attempts::updated_at.eq(now),
        ))
        .returning(payment_attempts::all_columns)
        .get_result(conn)?)
}

/// The attempt with this row id.
///
/// # Errors
/// A database error.
pub fn find_by_id(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<AttemptRow>, PersistenceError> {
    Ok(payment_attempts::table
        .find(id)
        .get_result(conn)
        .optional()?)
}

/// The attempt with this merchant reference.
///
/// # Errors
/// A database error.
pub fn find_by_merchant_reference(
    conn: &mut DbConnection,
    merchant_reference: &str,
) -> Result<Option<AttemptRow>, PersistenceError> {
    Ok(payment_attempts::table
        .filter(payment_attempts::merchant_reference.eq(merchant_reference))
        .first(conn)
        .optional()?)
}

/// The (newest) attempt of `gateway` with this gateway reference.
///
/// # Errors
/// A database error.
pub fn find_by_gateway_reference(
    conn: &mut DbConnection,
    gateway: Gateway,
    gateway_reference: &str,
) -> Result<Option<AttemptRow>, PersistenceError> {
    Ok(payment_attempts::table
        .filter(payment_attempts::gateway.eq(gateway.as_str()))
        .filter(payment_attempts::gateway_reference.eq(gateway_reference))
        .order(payment_attempts::id.desc())
        .first(conn)
        .optional()?)
}

/// The attempts of an invoice, oldest first.
///
/// # Errors
/// A database error.
pub fn list_for_invoice(
    conn: &mut DbConnection,
    invoice_id: i64,
) -> Result<Vec<AttemptRow>, PersistenceError> {
    Ok(payment_attempts::table
        .filter(payment_attempts::invoice_id.eq(invoice_id))
        .order(payment_attempts::id)
        .load(conn)?)
}

/// Moves attempt `id` from `from` to `to` only if it is still in `from`, setting the given
/// fields in the same statement, and records the change with its `cause` in the attempt's
/// history. Returns whether this call made the change: of two concurrent callers, exactly one
/// gets `true` (and only its change is in the history).
///
/// The caller checks that the transition is legal (`AttemptStatus::apply`). Moves into
/// [`AttemptStatus::Review`] go through [`put_under_review`], which keeps the reason.
///
/// # Errors
/// A database error.
pub fn transition_attempt(
    conn: &mut DbConnection,
    id: i64,
    from: AttemptStatus,
    to: AttemptStatus,
    fields: &AttemptUpdate<'_>,
    cause: &str,
) -> Result<bool, PersistenceError> {
    change_status(conn, id, from, to, fields, None, cause)
}

fn change_status(
    conn: &mut DbConnection,
    id: i64,
    from: AttemptStatus,
    to: AttemptStatus,
    fields: &AttemptUpdate<'_>,
    review_reason: Option<&str>,
    cause: &str,
) -> Result<bool, PersistenceError> {
    let now = now_utc();
    in_savepoint(conn, |conn| {
        let target = payment_attempts::table
            .filter(payment_attempts::id.eq(id))
            .filter(payment_attempts::status.eq(from.as_str()));
        let n = match review_reason {
            Some(reason) => diesel::update(target)
                .set((
                    payment_attempts::status.eq(to.as_str()),
                    payment_attempts::updated_at.eq(now),
                    payment_attempts::review_reason.eq(reason),
                    fields,
                ))
                .execute(conn)?,
            None => diesel::update(target)
                .set((
                    payment_attempts::status.eq(to.as_str()),
                    payment_attempts::updated_at.eq(now),
                    fields,
                ))
                .execute(conn)?,
        };
        if n == 1 {
            attempt_history::record(conn, id, Some(from), to, cause, now)?;
        }
        Ok(n == 1)
    })
}

/// Sets the given fields without changing the state. Returns whether the attempt exists.
///
/// # Errors
/// A database error.
pub fn update_details(
    conn: &mut DbConnection,
    id: i64,
    fields: &AttemptUpdate<'_>,
) -> Result<bool, PersistenceError> {
    let n = diesel::update(payment_attempts::table.find(id))
        .set((payment_attempts::updated_at.eq(now_utc()), fields))
        .execute(conn)?;
    Ok(n == 1)
}

/// Puts attempt `id` under [`AttemptStatus::Review`] from whatever state it is in, when the
/// state machine allows it (not from `reversed`, which keeps its own state, nor again from
/// `review`), setting `fields` and keeping `reason` (also the history's cause). Returns the
/// state it left, or `None` when it did not move (unknown attempt, `reversed`, already under
/// review). Conditional like [`transition_attempt`]: a concurrent change is read again.
///
/// # Errors
/// A database error.
pub fn put_under_review(
    conn: &mut DbConnection,
    id: i64,
    reason: &str,
    fields: &AttemptUpdate<'_>,
) -> Result<Option<AttemptStatus>, PersistenceError> {
    // Each lost race means another writer changed the state in between; the state machine has
    // no cycles, so a few rounds always settle it.
    for _ in 0..AttemptStatus::ALL.len() {
        let Some(current) = find_by_id(conn, id)? else {
            return Ok(None);
        };
        let Ok(to) = current.status.apply(AttemptEvent::NeedsReview) else {
            return Ok(None);
        };
        if change_status(conn, id, current.status, to, fields, Some(reason), reason)? {
            return Ok(Some(current.status));
        }
    }
    Ok(None)
}

/// Attempts under review, oldest first.
///
/// # Errors
/// A database error.
pub fn list_needing_review(conn: &mut DbConnection) -> Result<Vec<AttemptRow>, PersistenceError> {
    Ok(payment_attempts::table
        .filter(payment_attempts::status.eq(AttemptStatus::Review.as_str()))
        .order(payment_attempts::id)
        .load(conn)?)
}

/// Pending attempts created before `cutoff` (UTC), oldest first, at most `limit`: the work list
/// of `ops reconcile`.
///
/// # Errors
/// A database error.
pub fn list_pending_older_than(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<Vec<AttemptRow>, PersistenceError> {
    list_in_status_older_than(conn, &[AttemptStatus::Pending], cutoff, limit)
}

/// Attempts in any of `statuses` created before `cutoff` (UTC), oldest first, at most `limit`.
///
/// # Errors
/// A database error.
pub fn list_in_status_older_than(
    conn: &mut DbConnection,
    statuses: &[AttemptStatus],
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<Vec<AttemptRow>, PersistenceError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    Ok(payment_attempts::table
        .filter(payment_attempts::status.eq_any(statuses))
        .filter(payment_attempts::created_at.lt(truncate_to_micros(cutoff)))
        .order(payment_attempts::id)
        .limit(limit.max(0))
        .load(conn)?)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Claims up to `limit` attempts in any of `statuses`, created before `cutoff`, that no other
/// reconciler holds at `now`: each claimed row's lease is set to `lease_until`. Call it inside a
/// write transaction ([`crate::UnitOfWork::write`]). On PostgreSQL the candidate rows are locked
/// with `FOR UPDATE SKIP LOCKED`, so concurrent reconcilers on several machines take disjoint
/// sets without waiting for each other; on SQLite the write transaction (`BEGIN IMMEDIATE`)
/// already serialises them. Oldest first.
///
/// # Errors
/// A database error.
pub fn claim_for_reconcile(
    conn: &mut DbConnection,
    statuses: &[AttemptStatus],
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<AttemptRow>, PersistenceError> {
    use diesel::sql_types::{BigInt, Timestamp};
    if statuses.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    // The statuses are our own constants (lower-case words), never user input.
    let list = statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let (p, lock) = match conn {
        DbConnection::Pg(_) => (["$1", "$2", "$3"], " FOR UPDATE SKIP LOCKED"),
        DbConnection::Sqlite(_) => (["?", "?", "?"], ""),
    };
    let sql = format!(
        "SELECT id FROM payment_attempts WHERE status IN ({list}) AND created_at < {} \
         AND (reconcile_claimed_until IS NULL OR reconcile_claimed_until < {}) \
         ORDER BY id LIMIT {}{lock}",
        p[0], p[1], p[2]
    );
    let ids: Vec<i64> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(truncate_to_micros(cutoff))
        .bind::<Timestamp, _>(truncate_to_micros(now))
        .bind::<BigInt, _>(limit)
        .load::<IdRow>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(payment_attempts::table.filter(payment_attempts::id.eq_any(&ids)))
        .set(payment_attempts::reconcile_claimed_until.eq(truncate_to_micros(lease_until)))
        .execute(conn)?;
    Ok(payment_attempts::table
        .filter(payment_attempts::id.eq_any(&ids))
        .order(payment_attempts::id)
        .load(conn)?)
}

/// Gives up the reconcile lease on attempt `id` taken by [`claim_for_reconcile`] with
/// `lease_until`, so that the next run (on any machine) may check it at once — used when this
/// run's check failed. A lease that has since been renewed by another reconciler (a different
/// `lease_until`) is left alone. Returns whether a lease was released.
///
/// # Errors
/// A database error.
pub fn release_reconcile_claim(
    conn: &mut DbConnection,
    id: i64,
    lease_until: NaiveDateTime,
) -> Result<bool, PersistenceError> {
    let released = diesel::update(
        payment_attempts::table
            .filter(payment_attempts::id.eq(id))
            .filter(payment_attempts::reconcile_claimed_until.eq(truncate_to_micros(lease_until))),
    )
    .set(payment_attempts::reconcile_claimed_until.eq(None::<NaiveDateTime>))
    .execute(conn)?;
    Ok(released > 0)
}
