//! The crate's one error type.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};

use crate::connection::ConnectError;
use crate::settings::InvalidDatabaseSetting;

/// Everything that can go wrong in persistence. Messages never contain SQL parameters or secrets.
#[derive(Debug, thiserror::Error)]
pub enum PersistenceError {
    /// A unique constraint (or primary key) already holds this value: the write was already done
    /// or collides with another. The same on SQLite and PostgreSQL.
    ///
    /// On PostgreSQL a failed statement aborts the surrounding transaction, so after a `Conflict`
    /// from a plain insert return the error (the unit of work rolls back) instead of going on.
    /// `events::record_event` and `idempotency::insert` use `ON CONFLICT DO NOTHING` and leave the
    /// transaction usable.
    #[error("conflict on unique constraint {constraint}")]
    Conflict {
        /// `table(column, …)` of the violated constraint, e.g. `clients(email_normalized)`,
        /// written the same way on both backends (falls back to the constraint name).
        constraint: String,
    },
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// Any other database error.
    #[error("database error")]
    Database(#[source] DieselError),
    /// No connection could be taken from the pool in time.
    #[error("no database connection available")]
    Pool(#[source] r2d2::Error),
    /// A connection could not be opened (the cause names the real reason).
    #[error("cannot open a database connection")]
    Connection(#[source] ConnectError),
    /// Applying or reverting a migration failed.
    #[error("database migration failed")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database settings are invalid.
    #[error(transparent)]
    Settings(#[from] InvalidDatabaseSetting),
}

impl PersistenceError {
    /// Whether this is a [`PersistenceError::Conflict`].
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        matches!(self, PersistenceError::Conflict { .. })
    }
}

impl From<DieselError> for PersistenceError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => PersistenceError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                PersistenceError::Conflict {
                    constraint: constraint_label(info.as_ref()),
                }
            }
            other => PersistenceError::Database(other),
        }
    }
}

impl From<ConnectError> for PersistenceError {
    fn from(error: ConnectError) -> Self {
        PersistenceError::Connection(error)
    }
}

impl From<r2d2::Error> for PersistenceError {
    fn from(error: r2d2::Error) -> Self {
        PersistenceError::Pool(error)
    }
}

/// `table(col, …)` from SQLite's "UNIQUE constraint failed: t.a, t.b" or from PostgreSQL's table
/// name and detail "Key (a, b)=(…) already exists." (the values are dropped).
fn constraint_label(info: &dyn DatabaseErrorInformation) -> String {
    if let Some(list) = info.message().strip_prefix("UNIQUE constraint failed: ") {
        let mut table = None;
        let columns: Vec<&str> = list
            .split(", ")
            .map(|qualified| match qualified.split_once('.') {
                Some((t, c)) => {
                    table = Some(t);
                    c
                }
                None => qualified,
            })
            .collect();
        if let Some(table) = table {
            return format!("{table}({})", columns.join(", "));
        }
    }
    if let (Some(table), Some(details)) = (info.table_name(), info.details())
        && let Some(rest) = details.strip_prefix("Key (")
        && let Some((columns, _values)) = rest.split_once(")=(")
    {
        return format!("{table}({columns})");
    }
    info.constraint_name()
        .map_or_else(|| "unknown".to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Info {
        message: &'static str,
        details: Option<&'static str>,
        table: Option<&'static str>,
        constraint: Option<&'static str>,
    }

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            self.details
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            self.table
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.constraint
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    #[test]
    fn labels_match_across_backends() {
        let sqlite = Info {
            message: "UNIQUE constraint failed: payment_events.gateway, payment_events.dedupe_key",
            details: None,
            table: None,
            constraint: None,
        };
        let pg = Info {
            message: "duplicate key value violates unique constraint \"payment_events_gateway_dedupe_key_key\"",
            details: Some("Key (gateway, dedupe_key)=(pesapal, secret@x) already exists."),
            table: Some("payment_events"),
            constraint: Some("payment_events_gateway_dedupe_key_key"),
        };
        assert_eq!(
            constraint_label(&sqlite),
            "payment_events(gateway, dedupe_key)"
        );
        assert_eq!(constraint_label(&pg), "payment_events(gateway, dedupe_key)");
        let bare = Info {
            message: "weird",
            details: Some("no key here"),
            table: Some("t"),
            constraint: Some("t_c_key"),
        };
        assert_eq!(constraint_label(&bare), "t_c_key");
    }

    #[test]
    fn diesel_errors_map_to_typed_variants() {
        assert!(matches!(
            PersistenceError::from(DieselError::NotFound),
            PersistenceError::NotFound
        ));
        let unique = DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("UNIQUE constraint failed: clients.email_normalized".to_owned()),
        );
        let e = PersistenceError::from(unique);
        assert!(e.is_conflict());
        assert_eq!(
            e.to_string(),
            "conflict on unique constraint clients(email_normalized)"
        );
        assert!(matches!(
            PersistenceError::from(DieselError::RollbackTransaction),
            PersistenceError::Database(_)
        ));
    }
}
