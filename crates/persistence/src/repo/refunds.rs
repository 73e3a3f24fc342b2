//! Refunds of payment attempts (docs/back-office.md, "Actions"): one row per refund asked of the
//! gateway or recorded as made outside it, with who made it and the gateway's answer. Rows are
//! only ever added.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::{Currency, UnknownStatus};

use super::TextColumn;
use crate::schema::{payment_attempts, refunds};
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundState {
    /// The gateway accepted the request (Pesapal: queued for the merchant's approval, not yet
    /// paid out). Counts as refunded.
    Requested,
    /// Made outside the gateway's API (AzamPay), recorded with its external reference. Counts
    /// as refunded.
    Recorded,
    /// The gateway refused it; it does not count.
    Refused,
}

impl RefundState {
    /// The stored text.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Recorded => "recorded",
            RefundState::Refused => "refused",
        }
    }

    /// Whether the refund's amount counts as given back.
    #[must_use]
    pub const fn counts(self) -> bool {
        !matches!(self, RefundState::Refused)
    }
}

impl fmt::Display for RefundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RefundState {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "requested" => Ok(RefundState::Requested),
            "recorded" => Ok(RefundState::Recorded),
            "refused" => Ok(RefundState::Refused),
            other => Err(UnknownStatus {
                machine: "refund",
                value: other.to_owned(),
            }),
        }
    }
}

impl TryFrom<TextColumn> for RefundState {
    type Error = UnknownStatus;

    fn try_from(text: TextColumn) -> Result<Self, Self::Error> {
        text.0.parse()
    }
}

/// A refund as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    /// Row id.
    pub id: i64,
    /// The attempt whose money is given back.
    pub attempt_id: i64,
    /// Amount in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO-4217 code (the attempt's).
    #[diesel(deserialize_as = TextColumn)]
    pub currency: Currency,
    /// Why, as the person wrote it.
    pub reason: String,
    /// The account that made it.
    pub staff_id: Option<i64>,
    /// Where it stands.
    #[diesel(deserialize_as = TextColumn)]
    pub state: RefundState,
    /// The gateway's answer as it came (Pesapal's message), when there was a call.
    pub gateway_answer: Option<String>,
    /// The reference of a refund made outside the gateway's API.
    pub external_reference: Option<String>,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

/// A refund to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewRefund<'a> {
    /// The attempt.
    pub attempt_id: i64,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO-4217 code.
    pub currency: &'a str,
    /// Why.
    pub reason: &'a str,
    /// Who.
    pub staff_id: Option<i64>,
    /// Where it stands.
    pub state: RefundState,
    /// The gateway's answer.
    pub gateway_answer: Option<&'a str>,
    /// The reference of a refund made outside.
    pub external_reference: Option<&'a str>,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

/// Records a refund.
///
/// # Errors
/// A database error.
pub fn insert(
    conn: &mut DbConnection,
    refund: &NewRefund<'_>,
) -> Result<RefundRow, PersistenceError> {
    Ok(diesel::insert_into(refunds::table)
        .values((
            refunds::attempt_id.eq(refund.attempt_id),
            refunds::amount_minor.eq(refund.amount_minor),
            refunds::currency.eq(refund.currency),
            refunds::reason.eq(refund.reason),
            refunds::staff_id.eq(refund.staff_id),
            refunds::state.eq(refund.state.as_str()),
            refunds::gateway_answer.eq(refund.gateway_answer),
            refunds::external_reference.eq(refund.external_reference),
            refunds::created_at.eq(truncate_to_micros(refund.created_at)),
        ))
        .returning(refunds::all_columns)
        .get_result(conn)?)
}

/// The refunds of attempt `attempt_id`, oldest first.
///
/// # Errors
/// A database error.
pub fn list_for_attempt(
    conn: &mut DbConnection,
    attempt_id: i64,
) -> Result<Vec<RefundRow>, PersistenceError> {
    Ok(refunds::table
        .filter(refunds::attempt_id.eq(attempt_id))
        .order(refunds::id)
        .select(RefundRow::as_select())
        .load(conn)?)
}

/// The refunds of every attempt of invoice `invoice_id`, oldest first.
///
/// # Errors
/// A database error.
pub fn list_for_invoice(
    conn: &mut DbConnection,
    invoice_id: i64,
) -> Result<Vec<RefundRow>, PersistenceError> {
    Ok(refunds::table
        .inner_join(payment_attempts::table)
        .filter(payment_attempts::invoice_id.eq(invoice_id))
        .order(refunds::id)
        .select(RefundRow::as_select())
        .load(conn)?)
}

/// What has been given back of attempt `attempt_id` so far (minor units): the refunds that
/// count ([`RefundState::counts`]).
///
/// # Errors
/// A database error.
pub fn refunded_minor(conn: &mut DbConnection, attempt_id: i64) -> Result<i64, PersistenceError> {
    Ok(list_for_attempt(conn, attempt_id)?
        .iter()
        .filter(|r| r.state.counts())
        .map(|r| r.amount_minor)
        .sum())
}
