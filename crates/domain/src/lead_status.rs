//! [`LeadSalesStatus`]: where the sales team stands with a lead.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::status::UnknownStatus;

/// The sales status of a lead: `new` → `contacted` → `qualified` → `won` | `lost`. Any change is
/// allowed (a lead may be reopened); every change is kept with who made it, when, and an
/// optional note. Stored and shown in lower case.
///
/// ```
/// use wetech_domain::LeadSalesStatus;
/// assert_eq!("won".parse::<LeadSalesStatus>().unwrap(), LeadSalesStatus::Won);
/// assert_eq!(LeadSalesStatus::default(), LeadSalesStatus::New);
/// assert_eq!(LeadSalesStatus::ALL.len(), 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeadSalesStatus {
    /// Just arrived; nobody has acted on it.
    #[default]
    New,
    /// Someone has reached the client.
    Contacted,
    /// The client wants it and can pay.
    Qualified,
    /// The sale was made.
    Won,
    /// The client went elsewhere or never answered.
    Lost,
}

impl LeadSalesStatus {
    /// Every status, in pipeline order.
    pub const ALL: &'static [LeadSalesStatus] = &[
        LeadSalesStatus::New,
        LeadSalesStatus::Contacted,
        LeadSalesStatus::Qualified,
        LeadSalesStatus::Won,
        LeadSalesStatus::Lost,
    ];

    /// The lower-case name used in storage, forms and URLs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            LeadSalesStatus::New => "new",
            LeadSalesStatus::Contacted => "contacted",
            LeadSalesStatus::Qualified => "qualified",
            LeadSalesStatus::Won => "won",
            LeadSalesStatus::Lost => "lost",
        }
    }
}

impl fmt::Display for LeadSalesStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeadSalesStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LeadSalesStatus::ALL
            .iter()
            .copied()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus {
                machine: "lead sales",
                value: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_and_nothing_else_parses() {
        for status in LeadSalesStatus::ALL {
            assert_eq!(status.as_str().parse::<LeadSalesStatus>().unwrap(), *status);
            assert_eq!(
                serde_json::to_string(status).unwrap(),
                format!("\"{status}\"")
            );
        }
        for bad in ["", "New", "open", "won "] {
            assert!(bad.parse::<LeadSalesStatus>().is_err(), "{bad:?}");
        }
    }
}
