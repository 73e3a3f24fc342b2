//! [`MerchantReference`]: our reference for one payment attempt, as sent to and echoed by a
//! gateway.

use rand::RngCore as _;

use crate::text::string_value_impls;

/// The longest reference accepted (Pesapal's limit for a merchant reference is 50).
pub const MAX_MERCHANT_REFERENCE_LEN: usize = 50;

/// Crockford's base-32 alphabet: digits and upper-case letters without I, L, O and U, so a
/// reference read aloud or copied by hand is not misread. 32 symbols = 5 bits each.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random symbols in a generated reference: 24 × 5 = 120 bits.
const RANDOM_SYMBOLS: usize = 24;

/// Why a string is not a merchant reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "merchant reference must be 1 to {MAX_MERCHANT_REFERENCE_LEN} characters of A-Z, a-z, 0-9, '-', '_' and '.'"
)]
pub struct MerchantReferenceError;

/// The unique reference of one payment attempt.
///
/// [`MerchantReference::generate`] makes `WT` followed by 24 random Crockford base-32 symbols (120
/// random bits), 26 characters of `[A-Z0-9]` only, which every gateway accepts.
/// [`MerchantReference::parse`] is more lenient, for references coming back from gateways: 1–50
/// characters of `[A-Za-z0-9-_.]`, case preserved.
///
/// ```
/// use wetech_domain::MerchantReference;
/// let r = MerchantReference::generate();
/// assert!(r.as_str().starts_with("WT"));
/// assert_eq!(r.as_str().len(), 26);
/// assert_eq!(MerchantReference::parse(r.as_str()).unwrap(), r);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MerchantReference(String);

impl MerchantReference {
    /// A new random reference, `WT` + 24 symbols from the thread-local CSPRNG.
    #[must_use]
    pub fn generate() -> MerchantReference {
        let mut bytes = [0_u8; RANDOM_SYMBOLS];
        rand::rng().fill_bytes(&mut bytes);
        let mut text = String::with_capacity(2 + RANDOM_SYMBOLS);
        text.push_str("WT");
        // 256 is a multiple of 32, so the low five bits of a uniform byte are uniform.
        text.extend(
            bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 0x1f)])),
        );
        MerchantReference(text)
    }

    /// Accepts a reference as a gateway echoes it: 1–50 characters of `A-Z a-z 0-9 - _ .`.
    /// Nothing is trimmed or re-cased.
    ///
    /// ```
    /// use wetech_domain::MerchantReference;
    /// assert!(MerchantReference::parse("order-17.b_2").is_ok());
    /// assert!(MerchantReference::parse("WT 123").is_err());
    /// assert!(MerchantReference::parse(&"A".repeat(51)).is_err());
    /// ```
    pub fn parse(input: &str) -> Result<MerchantReference, MerchantReferenceError> {
        let ok = (1..=MAX_MERCHANT_REFERENCE_LEN).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(MerchantReference(input.to_owned()))
        } else {
            Err(MerchantReferenceError)
        }
    }

    /// The reference text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value_impls!(MerchantReference, MerchantReferenceError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_references_are_unambiguous_and_distinct() {
        let refs: std::collections::HashSet<String> = (0..10_000)
            .map(|_| MerchantReference::generate().as_str().to_owned())
            .collect();
        assert_eq!(refs.len(), 10_000);
        for r in &refs {
            assert_eq!(r.len(), 26);
            assert!(r.len() <= MAX_MERCHANT_REFERENCE_LEN);
            let body = &r[2..];
            assert!(
                body.bytes().all(|b| ALPHABET.contains(&b)),
                "{r} uses a symbol outside the alphabet"
            );
            assert!(!body.contains(['I', 'L', 'O', 'U']), "{r}");
            assert!(
                r.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
        }
        // Every symbol of the alphabet turns up (a stuck bit would leave half of them unused).
        let used: std::collections::HashSet<u8> =
            refs.iter().flat_map(|r| r.bytes().skip(2)).collect();
        assert_eq!(used.len(), 32);
    }

    #[test]
    fn gateway_references_are_accepted_as_echoed() {
        for ok in [
            "WT0123456789ABCDEFGHJKMNPQ",
            "a",
            "order-17.b_2",
            "x".repeat(50).as_str(),
        ] {
            assert_eq!(MerchantReference::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            " WT1",
            "WT1 ",
            "WT/1",
            "WT1'; --",
            "WTé",
            "WT\u{0}",
            "x".repeat(51).as_str(),
            "x".repeat(100_000).as_str(),
        ] {
            assert_eq!(
                MerchantReference::parse(bad),
                Err(MerchantReferenceError),
                "{bad:?}"
            );
        }
        assert!(serde_json::from_str::<MerchantReference>("\"a b\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(input in "[A-Za-z0-9._-]{1,50}") {
            let r = MerchantReference::parse(&input).unwrap();
            prop_assert_eq!(r.as_str(), input.as_str());
            prop_assert_eq!(MerchantReference::parse(&format!("{r}")).unwrap(), r.clone());
            let json = serde_json::to_string(&r).unwrap();
            prop_assert_eq!(serde_json::from_str::<MerchantReference>(&json).unwrap(), r);
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            if let Ok(r) = MerchantReference::parse(&input) {
                prop_assert!(r.as_str().len() <= MAX_MERCHANT_REFERENCE_LEN);
            }
        }

        #[test]
        fn never_panics_on_huge_input(input in "[A-Za-z0-9._-]{40,3000}") {
            prop_assert_eq!(MerchantReference::parse(&input).is_ok(), input.len() <= 50);
        }
    }
}
