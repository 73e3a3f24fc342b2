//! Sign-in, lockout and logout.
//!
//! A sign-in answers the same, in the same time, for an unknown address, a wrong password and a
//! disabled account: each reads the same rows, verifies one Argon2id hash (a dummy one when
//! there is no account) and writes one failure and one audit entry. After
//! [`LOCKOUT_FAILURES`] failures for one typed address or from one client address within
//! [`LOCKOUT_WINDOW`], further attempts are refused unchecked ([`LoginOutcome::Locked`]); each
//! refused attempt counts as a failure too, so the lock ends a full window after the last try.
//! The failures are rows in the database, so the lock holds on every instance.

use std::time::Duration;

use chrono::NaiveDateTime;
use secrecy::SecretString;
use serde_json::json;
use wetech_domain::EmailAddress;
use wetech_persistence::{login_failures, now_utc, staff, staff_sessions};

use super::audit::{self, Actor, Entry};
use super::password::{verify, verify_dummy};
use super::token::{SessionToken, stored_hash};
use super::{BackOffice, SignedIn, StaffAccount, StaffError, chrono};

/// Failures that lock an address or a client out.
pub const LOCKOUT_FAILURES: i64 = 5;
/// The window failures are counted in, and how long a lock lasts after the last attempt.
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Stands for the client address when none is known (all such requests share one counter).
const UNKNOWN_ADDRESS: &str = "unknown";
/// The longest typed address kept (the longest valid one).
const MAX_TYPED_EMAIL: usize = wetech_domain::MAX_EMAIL_LEN;

/// A sign-in as typed.
pub struct LoginAttempt<'a> {
    /// The address as typed (it may be no address at all).
    pub email: &'a str,
    /// The password as typed.
    pub password: &'a SecretString,
    /// The client address of the request.
    pub client_address: Option<&'a str>,
}

/// How a sign-in ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in: the cookie gets `token`.
    SignedIn {
        /// The new session's token (never stored).
        token: SessionToken,
        /// Who signed in.
        account: StaffAccount,
    },
    /// Wrong address, wrong password or disabled account: the same answer for all three.
    Refused,
    /// Too many failures; nothing was checked.
    Locked {
        /// When to try again.
        retry_after: Duration,
    },
}

/// The typed address as the failures table keeps it: trimmed, lower-cased, at most
/// [`MAX_TYPED_EMAIL`] characters.
fn typed_key(email: &str) -> String {
    staff::normalize_email(email)
        .chars()
        .take(MAX_TYPED_EMAIL)
        .collect()
}

impl BackOffice {
    /// Signs a person in, now.
    ///
    /// # Errors
    /// A hashing, random-number or database error (never for a wrong password: that is
    /// [`LoginOutcome::Refused`]).
    pub fn login(&self, attempt: &LoginAttempt<'_>) -> Result<LoginOutcome, StaffError> {
        self.login_at(attempt, now_utc())
    }

    /// [`BackOffice::login`] at the time `now`.
    ///
    /// # Errors
    /// As [`BackOffice::login`].
    pub fn login_at(
        &self,
        attempt: &LoginAttempt<'_>,
        now: NaiveDateTime,
    ) -> Result<LoginOutcome, StaffError> {
        let email = typed_key(attempt.email);
        let address = attempt.client_address.unwrap_or(UNKNOWN_ADDRESS);
        let since = now - chrono(LOCKOUT_WINDOW);
        // 1. Read: the lock, and the account.
        let (locked, credentials) = self.uow.read(|c| {
            let locked = login_failures::count_for_email_since(c, &email, since)?
                >= LOCKOUT_FAILURES
                || login_failures::count_for_address_since(c, address, since)? >= LOCKOUT_FAILURES;
            let credentials = if locked {
                None
            } else {
                staff::find_credentials(c, &email)?
            };
            Ok::<_, StaffError>((locked, credentials))
        })?;
        let failed = |action: &str, staff_id: Option<i64>, reason: &str| {
            self.record_failure(&email, address, staff_id, now, action, reason)
        };
        if locked {
            failed("login_locked", None, "locked")?;
            return Ok(LoginOutcome::Locked {
                retry_after: LOCKOUT_WINDOW,
            });
        }
        // 2. Verify, outside any transaction.
        let Some(credentials) = credentials else {
            verify_dummy(attempt.password)?;
            failed("login_failed", None, "unknown_account")?;
            return Ok(LoginOutcome::Refused);
        };
        let matches = verify(attempt.password, &credentials.password_hash)?;
        let account_id = credentials.account.id;
        if !matches {
            failed("login_failed", Some(account_id), "wrong_password")?;
            return Ok(LoginOutcome::Refused);
        }
        if credentials.account.disabled_at.is_some() {
            failed("login_failed", Some(account_id), "disabled")?;
            return Ok(LoginOutcome::Refused);
        }
        // 3. Write: the session, unless the account changed meanwhile.
        let token = SessionToken::generate()?;
        let hash = stored_hash(token.expose())
            .ok_or_else(|| StaffError::Corrupt("a generated token is malformed".to_owned()))?;
        let account = self.uow.write(|tx| {
            let Some(now_row) = staff::find_credentials(tx, &email)? else {
                return Ok(None);
            };
            if now_row.account.id != account_id
                || now_row.password_hash != credentials.password_hash
                || now_row.account.disabled_at.is_some()
            {
                return Ok(None);
            }
            staff_sessions::insert(
                tx,
                &staff_sessions::NewSession {
                    token_hash: &hash,
                    staff_id: account_id,
                    client_address: attempt.client_address,
                    at: now,
                },
            )?;
            login_failures::clear_for_email(tx, &email)?;
            let account = StaffAccount::from_row(now_row.account)?;
            let actor = Actor {
                staff_id: Some(account.id),
                email: account.email.as_str().to_owned(),
                client_address: attempt.client_address.map(str::to_owned),
            };
            audit::write(
                tx,
                &actor,
                now,
                Entry {
                    action: "login",
                    subject: None,
                    before: None,
                    after: None,
                },
            )?;
            Ok::<_, StaffError>(Some(account))
        })?;
        match account {
            Some(account) => Ok(LoginOutcome::SignedIn { token, account }),
            None => Ok(LoginOutcome::Refused),
        }
    }

    /// One failed or refused attempt: the failure row and its audit entry, together; old
    /// failures outside every window are deleted on the way.
    fn record_failure(
        &self,
        email: &str,
        address: &str,
        staff_id: Option<i64>,
        now: NaiveDateTime,
        action: &str,
        reason: &str,
    ) -> Result<(), StaffError> {
        self.uow.write(|tx| {
            login_failures::prune_before(tx, now - chrono(LOCKOUT_WINDOW))?;
            login_failures::record(tx, email, address, now)?;
            let actor = Actor {
                staff_id,
                email: email.to_owned(),
                client_address: Some(address.to_owned()),
            };
            audit::write(
                tx,
                &actor,
                now,
                Entry {
                    action,
                    subject: None,
                    before: None,
                    after: Some(json!({ "reason": reason })),
                },
            )
        })
    }

    /// Ends the session the cookie's `token` names, if any, and writes `logout` to the audit
    /// log; returns whether there was one.
    ///
    /// # Errors
    /// A database error.
    pub fn logout(&self, token: &str, client_address: Option<&str>) -> Result<bool, StaffError> {
        let Some(hash) = stored_hash(token) else {
            return Ok(false);
        };
        let now = now_utc();
        self.uow.write(|tx| {
            let Some((_, account)) = staff_sessions::find_with_account(tx, &hash)? else {
                return Ok(false);
            };
            staff_sessions::delete(tx, &hash)?;
            let actor = Actor {
                staff_id: Some(account.id),
                email: account.email.clone(),
                client_address: client_address.map(str::to_owned),
            };
            audit::write(
                tx,
                &actor,
                now,
                Entry {
                    action: "logout",
                    subject: None,
                    before: None,
                    after: None,
                },
            )?;
            Ok(true)
        })
    }
}

/// The address typed, masked for a log line (`a***@example.com`), or a placeholder when it is
/// no address.
#[must_use]
pub fn masked_typed_email(email: &str) -> String {
    EmailAddress::parse(email.trim())
        .map(|e| e.masked().to_string())
        .unwrap_or_else(|_| "(not an e-mail address)".to_owned())
}

impl SignedIn {
    /// Whether this person may take the admin-only actions.
    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.account.role.is_admin()
    }
}
