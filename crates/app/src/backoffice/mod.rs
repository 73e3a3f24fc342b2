//! The back office's foundation (docs/back-office.md): staff accounts, sign-in with lockout,
//! sessions, the audit log, the dashboard's figures, the lead's sales status.
//!
//! Everything here is synchronous (password hashing is deliberately slow): call it from the
//! blocking pool (`web::block`, `spawn_blocking`) in async code. Each change is one unit of work
//! that also writes its audit entry; hashing and verifying happen outside any transaction.
//!
//! | module | what |
//! |---|---|
//! | [`settings`] | the `admin` section: [`AdminSettings`] |
//! | [`password`] | the password rule ([`NewPassword`]) and Argon2id hashing |
//! | [`token`] | session tokens: random, only their SHA-256 stored |
//! | [`accounts`] | add, list, disable, set a password ([`StaffAccount`]) |
//! | [`login`] | sign-in, lockout, logout ([`LoginOutcome`]) |
//! | [`sessions`] | which session a cookie names, idle and absolute expiry ([`SignedIn`]) |
//! | [`audit`] | who did it ([`Actor`]) and the log's pages ([`AuditEntry`]) |
//! | [`dashboard`] | the dashboard's figures ([`Dashboard`]) |
//! | [`leads`] | the lead's sales status ([`BackOffice::change_lead_status`]) |
//! | [`export`] | the CSV exports' chunks and their audit entry ([`Export`]) |
//! | [`lists`] | the lists' pages and their filters ([`Page`]) |
//! | [`records`] | one lead, client or invoice with what its page shows |
//! | [`audited`] | another crate's change with its audit entry ([`BackOffice::audited`]) |
//! | [`actions`] | the money actions: void, resolve a review, recheck, refund (on [`crate::UseCases`]) |
//! | [`error`] | [`StaffError`] |

pub mod accounts;
pub mod actions;
pub mod audit;
pub mod audited;
pub mod dashboard;
pub mod error;
pub mod export;
pub mod leads;
pub mod lists;
pub mod login;
pub mod password;
pub mod records;
pub mod sessions;
pub mod settings;
pub mod token;

use std::time::Duration;

use wetech_persistence::UnitOfWork;

pub use accounts::{AccountDisabled, NewStaffAccount, StaffAccount};
pub use actions::{InvoiceTarget, PaymentTarget, RefundDone, RefundInput};
pub use audit::{Actor, AuditEntry};
pub use audited::Audited;
pub use dashboard::Dashboard;
pub use error::StaffError;
pub use export::{EXPORT_CHUNK, Export};
pub use lists::{MAX_PAGE, MAX_SEARCH_CHARS, PAGE_SIZE, Page};
pub use login::{LOCKOUT_FAILURES, LOCKOUT_WINDOW, LoginAttempt, LoginOutcome};
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, NewPassword, PasswordError};
pub use records::{AttemptRecord, ClientRecord, InvoiceRecord, LeadRecord};
pub use sessions::{SESSION_MAX_AGE, SignedIn, TOUCH_EVERY};
pub use settings::{AdminSettings, InvalidAdminSetting};
pub use token::SessionToken;

/// The back office's use cases over one database. Cheap to clone.
#[derive(Clone)]
pub struct BackOffice {
    uow: UnitOfWork,
    idle: Duration,
}

impl std::fmt::Debug for BackOffice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackOffice")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl BackOffice {
    /// The back office on `uow` with the `admin` settings.
    #[must_use]
    pub fn new(uow: UnitOfWork, settings: &AdminSettings) -> Self {
        Self {
            uow,
            idle: settings.idle(),
        }
    }

    /// How long a session may stay unused.
    #[must_use]
    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }
}

/// `d` as a chrono duration (saturating; the durations here are minutes to hours).
fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
