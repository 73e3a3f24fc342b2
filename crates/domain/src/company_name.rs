//! [`CompanyName`]: the optional company of a client.

use crate::text::{LineProblem, check_line, string_value_impls};

/// The longest company name accepted, in characters (not bytes).
pub const MAX_COMPANY_NAME_CHARS: usize = 200;

/// Why a string is not an acceptable company name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyNameError {
    /// Nothing but whitespace.
    #[error("company name is empty")]
    Empty,
    /// More than [`MAX_COMPANY_NAME_CHARS`] characters.
    #[error("company name is longer than {MAX_COMPANY_NAME_CHARS} characters")]
    TooLong,
    /// A control character, line break or bidirectional override.
    #[error("company name must not contain control characters or line breaks (found {0:?})")]
    ForbiddenCharacter(char),
}

/// A company name: trimmed, 1–200 characters, no control characters, line breaks or
/// bidirectional overrides; any script.
///
/// ```
/// use wetech_domain::CompanyName;
/// assert_eq!(CompanyName::parse(" Duka la Mama Ltd. ").unwrap().as_str(), "Duka la Mama Ltd.");
/// assert!(CompanyName::parse("").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyName(String);

impl CompanyName {
    /// Trims and validates a company name.
    ///
    /// ```
    /// use wetech_domain::{CompanyName, CompanyNameError};
    /// assert_eq!(CompanyName::parse(&"x".repeat(201)), Err(CompanyNameError::TooLong));
    /// ```
    pub fn parse(input: &str) -> Result<Self, CompanyNameError> {
        let s = input.trim();
        check_line(s, MAX_COMPANY_NAME_CHARS).map_err(|p| match p {
            LineProblem::Empty => CompanyNameError::Empty,
            LineProblem::TooLong => CompanyNameError::TooLong,
            LineProblem::Forbidden(c) => CompanyNameError::ForbiddenCharacter(c),
        })?;
        Ok(CompanyName(s.to_owned()))
    }

    /// The name as stored and shown.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value_impls!(CompanyName, CompanyNameError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        for ok in [
            "Wetech Ltd",
            "3M",
            "Kampuni ya Ḥāmid & Wana",
            "شركة النور",
            "株式会社",
        ] {
            assert_eq!(CompanyName::parse(ok).unwrap().as_str(), ok);
        }
        assert!(CompanyName::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            CompanyName::parse(&"é".repeat(201)),
            Err(CompanyNameError::TooLong)
        );
        assert_eq!(CompanyName::parse(" \t "), Err(CompanyNameError::Empty));
        assert_eq!(
            CompanyName::parse("Acme\r\nLtd"),
            Err(CompanyNameError::ForbiddenCharacter('\r'))
        );
        assert!(serde_json::from_str::<CompanyName>("\"a\\u0000b\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(input in "\\PC{1,200}") {
            if let Ok(n) = CompanyName::parse(&input) {
                prop_assert_eq!(n.as_str(), input.trim());
                prop_assert_eq!(CompanyName::parse(&format!("{n}")).unwrap(), n);
            }
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            let _ = CompanyName::parse(&input);
        }

        #[test]
        fn never_panics_on_huge_input(input in "\\PC{150,3000}") {
            let _ = CompanyName::parse(&input);
        }
    }
}
