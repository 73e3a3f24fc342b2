//! [`ServiceCode`]: the code of a catalogue service, such as `WEB-BASIC`.

use crate::text::string_value_impls;

/// Why a string is not a service code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceCodeError {
    /// Fewer than 2 or more than 32 characters.
    #[error("service code must be 2 to 32 characters long")]
    Length,
    /// A character other than `A-Z`, `0-9` and `-` (after upper-casing).
    #[error("service code may contain only letters A-Z, digits and '-' (found {0:?})")]
    InvalidCharacter(char),
}

/// A catalogue service code: 2–32 characters of `A-Z`, `0-9` and `-`. Input is trimmed and
/// upper-cased first, so `"web-basic"` is `WEB-BASIC`.
///
/// ```
/// use wetech_domain::ServiceCode;
/// assert_eq!(ServiceCode::parse(" web-basic ").unwrap().as_str(), "WEB-BASIC");
/// assert!(ServiceCode::parse("web basic").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceCode(String);

impl ServiceCode {
    /// Trims, upper-cases (ASCII only) and validates a code.
    ///
    /// ```
    /// use wetech_domain::{ServiceCode, ServiceCodeError};
    /// assert_eq!(ServiceCode::parse("W"), Err(ServiceCodeError::Length));
    /// assert_eq!(ServiceCode::parse("WEB_PRO"), Err(ServiceCodeError::InvalidCharacter('_')));
    /// ```
    pub fn parse(input: &str) -> Result<Self, ServiceCodeError> {
        let s = input.trim();
        if s.len() > 32 * 4 {
            return Err(ServiceCodeError::Length);
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(ServiceCodeError::InvalidCharacter(c));
        }
        // Only ASCII is left, so bytes are characters.
        if !(2..=32).contains(&s.len()) {
            return Err(ServiceCodeError::Length);
        }
        Ok(ServiceCode(s.to_ascii_uppercase()))
    }

    /// The upper-case code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value_impls!(ServiceCode, ServiceCodeError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        for (input, code) in [
            ("WEB-BASIC", "WEB-BASIC"),
            ("web-pro", "WEB-PRO"),
            ("Hosting", "HOSTING"),
            ("  seo2 ", "SEO2"),
            ("AB", "AB"),
        ] {
            assert_eq!(ServiceCode::parse(input).unwrap().as_str(), code);
        }
        assert!(ServiceCode::parse(&"A".repeat(32)).is_ok());
        use ServiceCodeError as E;
        for (input, err) in [
            ("", E::Length),
            ("A", E::Length),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", E::Length),
            ("WEB BASIC", E::InvalidCharacter(' ')),
            ("WEB.BASIC", E::InvalidCharacter('.')),
            ("straße", E::InvalidCharacter('ß')),
            ("ＷＥＢ", E::InvalidCharacter('Ｗ')),
            ("WEB\u{0}", E::InvalidCharacter('\u{0}')),
            ("'; DROP TABLE services; --", E::InvalidCharacter('\'')),
        ] {
            assert_eq!(ServiceCode::parse(input), Err(err), "{input:?}");
        }
        assert_eq!(ServiceCode::parse(&"A".repeat(100_000)), Err(E::Length));
        let c: ServiceCode = serde_json::from_str("\"hosting\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"HOSTING\"");
        assert!(serde_json::from_str::<ServiceCode>("\"H\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(input in "[A-Za-z0-9-]{2,32}") {
            let c = ServiceCode::parse(&input).unwrap();
            prop_assert_eq!(c.as_str(), input.to_ascii_uppercase());
            prop_assert_eq!(ServiceCode::parse(&format!("{c}")).unwrap(), c);
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            if let Ok(c) = ServiceCode::parse(&input) {
                prop_assert!(c.as_str().bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'));
            }
        }

        #[test]
        fn never_panics_on_huge_input(input in "[A-Z-]{30,3000}") {
            prop_assert_eq!(ServiceCode::parse(&input).is_ok(), input.len() <= 32);
        }
    }
}
