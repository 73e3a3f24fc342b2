//! Who did it ([`Actor`]), writing an audit entry in a change's transaction, and reading the
//! log ([`BackOffice::audit_page`]).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use wetech_persistence::{DbConnection, audit};

use super::{BackOffice, SignedIn, StaffError};

/// What `actor_email` says for changes made with the `ops` command line.
pub const OPS_ACTOR: &str = "ops";

/// Who makes a change, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in account, if any.
    pub staff_id: Option<i64>,
    /// Their address, or [`OPS_ACTOR`].
    pub email: String,
    /// The client address of the request.
    pub client_address: Option<String>,
}

impl Actor {
    /// The operator at the `ops` command line.
    #[must_use]
    pub fn ops() -> Self {
        Actor {
            staff_id: None,
            email: OPS_ACTOR.to_owned(),
            client_address: None,
        }
    }

    /// A signed-in person, from `client_address`.
    #[must_use]
    pub fn staff(signed_in: &SignedIn, client_address: Option<String>) -> Self {
        Actor {
            staff_id: Some(signed_in.account.id),
            email: signed_in.account.email.as_str().to_owned(),
            client_address,
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its id (newer entries have larger ids).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an account's address, the address typed at a failed sign-in, or `ops`).
    pub actor: String,
    /// From which client address.
    pub client_address: Option<String>,
    /// What, e.g. `login_failed` (docs/back-office.md lists the actions).
    pub action: String,
    /// To what.
    pub subject: Option<String>,
    /// The state before (JSON).
    pub before: Option<String>,
    /// The state after (JSON).
    pub after: Option<String>,
}

/// One entry to write with a change.
pub(crate) struct Entry<'a> {
    pub(crate) action: &'a str,
    pub(crate) subject: Option<&'a str>,
    pub(crate) before: Option<Value>,
    pub(crate) after: Option<Value>,
}

/// Writes `entry` by `actor` at `at` on `tx` (the change's own transaction).
pub(crate) fn write(
    tx: &mut DbConnection,
    actor: &Actor,
    at: NaiveDateTime,
    entry: Entry<'_>,
) -> Result<(), StaffError> {
    let before = entry.before.map(|v| v.to_string());
    let after = entry.after.map(|v| v.to_string());
    audit::record(
        tx,
        &audit::NewAudit {
            at,
            staff_id: actor.staff_id,
            actor_email: &actor.email,
            client_address: actor.client_address.as_deref(),
            action: entry.action,
            subject: entry.subject,
            before: before.as_deref(),
            after: after.as_deref(),
        },
    )?;
    Ok(())
}

impl BackOffice {
    /// The newest `limit` entries older than entry `before_id` (the newest when `None`).
    ///
    /// # Errors
    /// A database error.
    pub fn audit_page(
        &self,
        limit: i64,
        before_id: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StaffError> {
        let rows = self.uow.read(|c| audit::list_recent(c, limit, before_id))?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at.and_utc(),
                actor: r.actor_email,
                client_address: r.client_address,
                action: r.action,
                subject: r.subject,
                before: r.before,
                after: r.after,
            })
            .collect())
    }
}
