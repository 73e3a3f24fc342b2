//! [`LeadMessage`]: the free-text message a customer may add to a lead.

use crate::text::{is_forbidden_in_line, longer_than, string_value_impls};

/// The longest message accepted, in characters (not bytes), after line endings are normalised.
pub const MAX_LEAD_MESSAGE_CHARS: usize = 2000;

/// Why a string is not an acceptable lead message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeadMessageError {
    /// More than [`MAX_LEAD_MESSAGE_CHARS`] characters.
    #[error("message is longer than {MAX_LEAD_MESSAGE_CHARS} characters")]
    TooLong,
    /// A control character other than a line break or tab, or a bidirectional override.
    #[error(
        "message must not contain control characters other than line breaks and tabs (found {0:?})"
    )]
    ForbiddenCharacter(char),
}

/// A customer's message: at most 2000 characters, line breaks and tabs allowed, other control
/// characters and bidirectional overrides refused; any script.
///
/// Line endings are normalised to `\n` (browsers submit a textarea's line breaks as `\r\n`), and
/// surrounding whitespace is trimmed. An empty message is a valid (empty) message: callers that
/// treat the field as optional check [`LeadMessage::is_empty`].
///
/// ```
/// use wetech_domain::LeadMessage;
/// let m = LeadMessage::parse("Habari,\r\nnahitaji tovuti.\r\n").unwrap();
/// assert_eq!(m.as_str(), "Habari,\nnahitaji tovuti.");
/// assert!(LeadMessage::parse("bell\u{7}").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeadMessage(String);

impl LeadMessage {
    /// Normalises line endings, trims and validates a message.
    ///
    /// ```
    /// use wetech_domain::{LeadMessage, LeadMessageError};
    /// assert!(LeadMessage::parse(&"x".repeat(2000)).is_ok());
    /// assert_eq!(LeadMessage::parse(&"x".repeat(2001)), Err(LeadMessageError::TooLong));
    /// ```
    pub fn parse(input: &str) -> Result<Self, LeadMessageError> {
        // Refuse hopeless input before copying it.
        if longer_than(input, 4 * MAX_LEAD_MESSAGE_CHARS) {
            return Err(LeadMessageError::TooLong);
        }
        let normalised = input.replace("\r\n", "\n").replace('\r', "\n");
        let s = normalised.trim();
        if longer_than(s, MAX_LEAD_MESSAGE_CHARS) {
            return Err(LeadMessageError::TooLong);
        }
        if let Some(c) = s
            .chars()
            .find(|c| !matches!(c, '\n' | '\t') && is_forbidden_in_line(*c))
        {
            return Err(LeadMessageError::ForbiddenCharacter(c));
        }
        Ok(LeadMessage(s.to_owned()))
    }

    /// The message as stored and shown (lines separated by `\n`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the message is empty (the customer wrote nothing).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

string_value_impls!(LeadMessage, LeadMessageError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let m = LeadMessage::parse("Nahitaji tovuti ya biashara.\n\tBei gani?").unwrap();
        assert_eq!(m.as_str(), "Nahitaji tovuti ya biashara.\n\tBei gani?");
        assert_eq!(LeadMessage::parse("a\rb").unwrap().as_str(), "a\nb");
        assert!(LeadMessage::parse("   ").unwrap().is_empty());
        assert!(LeadMessage::parse("أريد موقعاً").is_ok());
        // 2000 characters of two bytes each, with CRLF line breaks counting as one character.
        let lines = format!("{}\r\n", "é".repeat(99)).repeat(20);
        let m = LeadMessage::parse(&lines).unwrap();
        assert_eq!(m.as_str().chars().count(), 1999);
        let exactly_2000 = format!("{}é", lines.trim_end());
        assert_eq!(
            LeadMessage::parse(&exactly_2000)
                .unwrap()
                .as_str()
                .chars()
                .count(),
            2000
        );
        assert_eq!(
            LeadMessage::parse(&format!("{exactly_2000}é")),
            Err(LeadMessageError::TooLong)
        );
        assert_eq!(
            LeadMessage::parse("hi\u{0}"),
            Err(LeadMessageError::ForbiddenCharacter('\u{0}'))
        );
        assert_eq!(
            LeadMessage::parse("hi \u{1b}[2J"),
            Err(LeadMessageError::ForbiddenCharacter('\u{1b}'))
        );
        assert_eq!(
            LeadMessage::parse("abc\u{2066}def"),
            Err(LeadMessageError::ForbiddenCharacter('\u{2066}'))
        );
        assert_eq!(
            LeadMessage::parse(&"x".repeat(5_000_000)),
            Err(LeadMessageError::TooLong)
        );
        assert!(serde_json::from_str::<LeadMessage>("\"a\\u0007\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(input in "[\\PC\n\t\r]{0,2000}") {
            if let Ok(m) = LeadMessage::parse(&input) {
                prop_assert!(!m.as_str().contains('\r'));
                prop_assert_eq!(LeadMessage::parse(&format!("{m}")).unwrap(), m);
            }
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            let _ = LeadMessage::parse(&input);
        }

        #[test]
        fn never_panics_on_huge_input(input in "\\PC{1500,6000}") {
            if LeadMessage::parse(&input).is_ok() {
                prop_assert!(input.trim().chars().count() <= MAX_LEAD_MESSAGE_CHARS);
            }
        }
    }
}
