//! Which session a cookie names. A session is valid while its account is active, it has not
//! been idle longer than `admin.idle_minutes`, it is younger than [`SESSION_MAX_AGE`], and the
//! password has not changed since it began. Its `last_seen_at` moves at most once per
//! [`TOUCH_EVERY`], so an ordinary request is one read and no write.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use wetech_persistence::{now_utc, staff_sessions};

use super::token::stored_hash;
use super::{BackOffice, StaffAccount, StaffError, chrono};

/// The longest a session lasts, however busy.
pub const SESSION_MAX_AGE: Duration = Duration::from_secs(12 * 60 * 60);
/// How stale `last_seen_at` may get before a request moves it.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// A valid session and its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who.
    pub account: StaffAccount,
    /// When the session began.
    pub since: DateTime<Utc>,
}

impl BackOffice {
    /// The session the cookie's `token` names, if it is still valid, now.
    ///
    /// # Errors
    /// A database error.
    pub fn session(&self, token: &str) -> Result<Option<SignedIn>, StaffError> {
        self.session_at(token, now_utc())
    }

    /// [`BackOffice::session`] at the time `now`. An expired session is deleted.
    ///
    /// # Errors
    /// As [`BackOffice::session`].
    pub fn session_at(
        &self,
        token: &str,
        now: NaiveDateTime,
    ) -> Result<Option<SignedIn>, StaffError> {
        let Some(hash) = stored_hash(token) else {
            return Ok(None);
        };
        let Some((session, account)) = self
            .uow
            .read(|c| staff_sessions::find_with_account(c, &hash))?
        else {
            return Ok(None);
        };
        let valid = account.disabled_at.is_none()
            && now - session.last_seen_at <= chrono(self.idle)
            && now - session.created_at <= chrono(SESSION_MAX_AGE)
            && account.password_changed_at <= session.created_at;
        if !valid {
            self.uow.write(|tx| staff_sessions::delete(tx, &hash))?;
            return Ok(None);
        }
        if now - session.last_seen_at >= chrono(TOUCH_EVERY) {
            self.uow.write(|tx| staff_sessions::touch(tx, &hash, now))?;
        }
        Ok(Some(SignedIn {
            account: StaffAccount::from_row(account)?,
            since: session.created_at.and_utc(),
        }))
    }
}
