//! [`StaffError`]: why a back-office use case did not succeed. Each `Display` names this layer
//! only; the cause is the `source()`.

use wetech_persistence::PersistenceError;

use super::password::PasswordError;

/// Why a back-office use case did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The new password breaks the rule.
    #[error("the password is not acceptable")]
    Password(#[source] PasswordError),
    /// An account with this address (in any letter case) already exists.
    #[error("a staff account with this e-mail address already exists")]
    DuplicateEmail,
    /// No account has this address.
    #[error("no staff account has this e-mail address")]
    NoSuchAccount,
    /// No lead has this id.
    #[error("no such lead")]
    NoSuchLead,
    /// A list's query string is not acceptable (the name of the parameter).
    #[error("the query parameter `{0}` is not acceptable")]
    BadQuery(&'static str),
    /// Hashing or reading a password hash failed.
    #[error("password hashing failed")]
    Hashing(#[source] argon2::password_hash::Error),
    /// The operating system's random number generator failed.
    #[error("the system's random number generator failed")]
    Random(#[source] rand::rand_core::OsError),
    /// The database failed.
    #[error("the database failed")]
    Persistence(#[from] PersistenceError),
    /// A stored value is not what this code writes.
    #[error("inconsistent stored data: {0}")]
    Corrupt(String),
}

impl From<PasswordError> for StaffError {
    fn from(e: PasswordError) -> Self {
        StaffError::Password(e)
    }
}
