//! [`Gateway`]: which payment gateway an attempt goes through.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A name that is not one of our gateways.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown gateway {0:?} (expected \"pesapal\" or \"azampay\")")]
pub struct UnknownGateway(pub String);

/// The payment gateways the service takes money through. Stored, logged and sent in JSON as
/// `"pesapal"` / `"azampay"`.
///
/// ```
/// use wetech_domain::Gateway;
/// assert_eq!("azampay".parse::<Gateway>().unwrap(), Gateway::AzamPay);
/// assert_eq!(Gateway::Pesapal.as_str(), "pesapal");
/// assert!("AzamPay".parse::<Gateway>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Gateway {
    /// Pesapal API 3.0 (card and mobile money on a hosted page).
    #[serde(rename = "pesapal")]
    Pesapal,
    /// AzamPay checkout (Tanzanian mobile-money push).
    #[serde(rename = "azampay")]
    AzamPay,
}

impl Gateway {
    /// Every gateway, in declaration order.
    pub const ALL: &'static [Gateway] = &[Gateway::Pesapal, Gateway::AzamPay];

    /// `"pesapal"` or `"azampay"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Gateway::Pesapal => "pesapal",
            Gateway::AzamPay => "azampay",
        }
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Gateway {
    type Err = UnknownGateway;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Gateway::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownGateway(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_round_trip() {
        for g in Gateway::ALL {
            assert_eq!(g.as_str().parse::<Gateway>(), Ok(*g));
            let json = serde_json::to_string(g).unwrap();
            assert_eq!(json, format!("\"{}\"", g.as_str()));
            assert_eq!(serde_json::from_str::<Gateway>(&json).unwrap(), *g);
        }
        assert!(serde_json::from_str::<Gateway>("\"azam_pay\"").is_err());
        assert_eq!(
            "mpesa".parse::<Gateway>(),
            Err(UnknownGateway("mpesa".to_owned()))
        );
    }
}
