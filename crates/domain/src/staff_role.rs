//! [`StaffRole`]: what a back-office account may do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown staff role {0:?} (expected \"staff\" or \"admin\")")]
pub struct UnknownStaffRole(pub String);

/// The role of a back-office account (docs/back-office.md): `staff` sees everything and changes
/// lead statuses and notes; `admin` can also refund, void, resolve reviews, edit the catalogue
/// and read the audit log. Stored and shown as `"staff"` / `"admin"`.
///
/// ```
/// use wetech_domain::StaffRole;
/// assert_eq!("admin".parse::<StaffRole>().unwrap(), StaffRole::Admin);
/// assert!(StaffRole::Admin.is_admin() && !StaffRole::Staff.is_admin());
/// assert!("Admin".parse::<StaffRole>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaffRole {
    /// Works the leads.
    Staff,
    /// Also handles money and the catalogue, and reads the audit log.
    Admin,
}

impl StaffRole {
    /// Every role, least powerful first.
    pub const ALL: &'static [StaffRole] = &[StaffRole::Staff, StaffRole::Admin];

    /// `"staff"` or `"admin"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            StaffRole::Staff => "staff",
            StaffRole::Admin => "admin",
        }
    }

    /// Whether this role may take the admin-only actions.
    #[must_use]
    pub const fn is_admin(self) -> bool {
        matches!(self, StaffRole::Admin)
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StaffRole {
    type Err = UnknownStaffRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StaffRole::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownStaffRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_and_nothing_else_parses() {
        for role in StaffRole::ALL {
            assert_eq!(role.as_str().parse::<StaffRole>().unwrap(), *role);
            assert_eq!(serde_json::to_string(role).unwrap(), format!("\"{role}\""));
        }
        for bad in ["", "ADMIN", "root", " staff", "staff "] {
            assert!(bad.parse::<StaffRole>().is_err(), "{bad:?}");
        }
    }
}
