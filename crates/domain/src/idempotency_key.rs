//! [`IdempotencyKey`]: the client-chosen key that makes a retried request return the first answer.

use crate::text::string_value_impls;

/// The longest key accepted, in bytes (all characters are ASCII).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 64;

/// Why a header value is not an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1–{MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters")]
pub struct IdempotencyKeyError;

/// An `Idempotency-Key`: 1–64 visible ASCII characters (`!` to `~`, no spaces), taken as sent —
/// nothing is trimmed or re-cased, so two keys are the same only when they are byte for byte equal.
///
/// ```
/// use wetech_domain::IdempotencyKey;
/// assert_eq!(IdempotencyKey::parse("order-42").unwrap().as_str(), "order-42");
/// assert!(IdempotencyKey::parse("").is_err());
/// assert!(IdempotencyKey::parse("two words").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Accepts 1–64 characters between `!` and `~`.
    pub fn parse(input: &str) -> Result<IdempotencyKey, IdempotencyKeyError> {
        if input.is_empty()
            || input.len() > MAX_IDEMPOTENCY_KEY_LEN
            || !input.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(IdempotencyKeyError);
        }
        Ok(IdempotencyKey(input.to_owned()))
    }

    /// The key as sent.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value_impls!(IdempotencyKey, IdempotencyKeyError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limits() {
        assert!(IdempotencyKey::parse(&"k".repeat(64)).is_ok());
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(65)),
            Err(IdempotencyKeyError)
        );
        for bad in ["", " ", "a b", "tab\there", "ключ", "line\n", " lead"] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(IdempotencyKeyError),
                "{bad:?}"
            );
        }
        assert_eq!(IdempotencyKey::parse("!~").unwrap().as_str(), "!~");
    }

    proptest! {
        #[test]
        fn visible_ascii_round_trips(input in "[!-~]{1,64}") {
            let key = IdempotencyKey::parse(&input).unwrap();
            prop_assert_eq!(key.as_str(), input.as_str());
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            if let Ok(key) = IdempotencyKey::parse(&input) {
                prop_assert!(key.as_str().len() <= MAX_IDEMPOTENCY_KEY_LEN);
            }
        }
    }
}
