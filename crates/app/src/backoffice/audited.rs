//! A change made by another crate's code (the catalogue, with `wetech-ops`) recorded with its
//! audit entry in one unit of work ([`BackOffice::audited`]).

use serde_json::Value;
use wetech_persistence::{DbConnection, PersistenceError, now_utc};

use super::audit::{self, Actor, Entry};
use super::{BackOffice, StaffError};

/// What a change did, for its audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Audited<T> {
    /// The change's own result.
    pub value: T,
    /// What it was done to, e.g. `service:WEB-BASIC`.
    pub subject: String,
    /// The state before (JSON), when there was one.
    pub before: Option<Value>,
    /// The state after (JSON).
    pub after: Option<Value>,
}

impl BackOffice {
    /// Runs `change` in one write transaction and writes the audit entry `action` by `actor`
    /// with what it reports, in the same transaction: both are kept, or neither.
    ///
    /// # Errors
    /// `change`'s error (the transaction is rolled back), or a database error.
    pub fn audited<T, E>(
        &self,
        actor: &Actor,
        action: &str,
        change: impl FnOnce(&mut DbConnection) -> Result<Audited<T>, E>,
    ) -> Result<T, E>
    where
        E: From<PersistenceError> + From<StaffError>,
    {
        self.uow.write(|tx| {
            let done = change(tx)?;
            audit::write(
                tx,
                actor,
                now_utc(),
                Entry {
                    action,
                    subject: Some(&done.subject),
                    before: done.before,
                    after: done.after,
                },
            )?;
            Ok(done.value)
        })
    }
}
