//! Staff accounts: add, list, disable, set a password. Disabling and a new password end that
//! person's sessions in the same transaction, so every instance refuses them at once.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use wetech_domain::{EmailAddress, PersonName, StaffRole};
use wetech_persistence::repo::staff::StaffRow;
use wetech_persistence::{PersistenceError, now_utc, staff, staff_sessions};

use super::audit::{self, Actor, Entry};
use super::{BackOffice, NewPassword, StaffError};

/// An account as shown (never its password hash). Serialises for `ops staff list --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffAccount {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// The address as given.
    pub email: EmailAddress,
    /// Display name.
    pub name: String,
    /// `staff` or `admin`.
    pub role: StaffRole,
    /// When it was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When its password was last set.
    pub password_changed_at: DateTime<Utc>,
}

impl StaffAccount {
    pub(crate) fn from_row(row: StaffRow) -> Result<Self, StaffError> {
        Ok(StaffAccount {
            id: row.id,
            email: EmailAddress::parse(&row.email)
                .map_err(|e| StaffError::Corrupt(format!("staff account {}: {e}", row.id)))?,
            name: row.name,
            role: row.role,
            disabled_at: row.disabled_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            password_changed_at: row.password_changed_at.and_utc(),
        })
    }

    /// Whether it may sign in.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// An account to make.
#[derive(Debug)]
pub struct NewStaffAccount {
    /// Their address (unique in any letter case).
    pub email: EmailAddress,
    /// Their name.
    pub name: PersonName,
    /// What they may do.
    pub role: StaffRole,
    /// Their first password.
    pub password: NewPassword,
}

/// What [`BackOffice::disable_account`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDisabled {
    /// The account afterwards.
    pub account: StaffAccount,
    /// `false` when it was already disabled.
    pub newly: bool,
    /// How many sessions were ended.
    pub sessions_ended: usize,
}

impl BackOffice {
    /// Makes an account (the password hashed before the transaction).
    ///
    /// # Errors
    /// [`StaffError::DuplicateEmail`]; a hashing or database error.
    pub fn add_account(
        &self,
        new: &NewStaffAccount,
        actor: &Actor,
    ) -> Result<StaffAccount, StaffError> {
        let hash = new.password.hash()?;
        let at = now_utc();
        self.uow.write(|tx| {
            let row = staff::insert(
                tx,
                &staff::NewStaff {
                    email: new.email.as_str(),
                    name: new.name.as_str(),
                    role: new.role,
                    password_hash: &hash,
                    at,
                },
            )
            .map_err(|e| match e {
                PersistenceError::Conflict { .. } => StaffError::DuplicateEmail,
                other => StaffError::Persistence(other),
            })?;
            let account = StaffAccount::from_row(row)?;
            audit::write(
                tx,
                actor,
                at,
                Entry {
                    action: "staff.add",
                    subject: Some(account.email.as_str()),
                    before: None,
                    after: Some(json!({
                        "email": account.email.as_str(),
                        "name": account.name,
                        "role": account.role,
                    })),
                },
            )?;
            Ok(account)
        })
    }

    /// Every account, oldest first.
    ///
    /// # Errors
    /// A database error.
    pub fn list_accounts(&self) -> Result<Vec<StaffAccount>, StaffError> {
        let rows = self.uow.read(staff::list)?;
        rows.into_iter().map(StaffAccount::from_row).collect()
    }

    /// Disables the account of `email` and ends its sessions at once.
    ///
    /// # Errors
    /// [`StaffError::NoSuchAccount`]; a database error.
    pub fn disable_account(
        &self,
        email: &EmailAddress,
        actor: &Actor,
    ) -> Result<AccountDisabled, StaffError> {
        let at = now_utc();
        self.uow.write(|tx| {
            let row = staff::find_by_email(tx, email.as_str())?.ok_or(StaffError::NoSuchAccount)?;
            let newly = staff::disable(tx, row.id, at)?;
            let sessions_ended = staff_sessions::delete_for_staff(tx, row.id)?;
            let row = staff::find_by_email(tx, email.as_str())?.ok_or(StaffError::NoSuchAccount)?;
            let account = StaffAccount::from_row(row)?;
            if newly {
                audit::write(
                    tx,
                    actor,
                    at,
                    Entry {
                        action: "staff.disable",
                        subject: Some(account.email.as_str()),
                        before: Some(json!({ "disabled": false })),
                        after: Some(json!({ "disabled": true, "sessions_ended": sessions_ended })),
                    },
                )?;
            }
            Ok(AccountDisabled {
                account,
                newly,
                sessions_ended,
            })
        })
    }

    /// Sets a new password for `email` and ends that person's sessions at once; returns how many
    /// were ended.
    ///
    /// # Errors
    /// [`StaffError::NoSuchAccount`]; a hashing or database error.
    pub fn set_password(
        &self,
        email: &EmailAddress,
        password: &NewPassword,
        actor: &Actor,
    ) -> Result<usize, StaffError> {
        // Refuse an unknown address before the costly hash.
        self.uow
            .read(|c| staff::find_by_email(c, email.as_str()))?
            .ok_or(StaffError::NoSuchAccount)?;
        let hash = password.hash()?;
        let at = now_utc();
        self.uow.write(|tx| {
            let row = staff::find_by_email(tx, email.as_str())?.ok_or(StaffError::NoSuchAccount)?;
            staff::set_password_hash(tx, row.id, &hash, at)?;
            let sessions_ended = staff_sessions::delete_for_staff(tx, row.id)?;
            audit::write(
                tx,
                actor,
                at,
                Entry {
                    action: "staff.set_password",
                    subject: Some(&row.email),
                    before: None,
                    after: Some(json!({ "sessions_ended": sessions_ended })),
                },
            )?;
            Ok(sessions_ended)
        })
    }
}
