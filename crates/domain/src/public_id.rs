//! [`PublicId`]: the unguessable identifier of an invoice in customer-facing URLs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

use crate::text::string_value_impls;

/// Random bytes in a public id (128 bits).
const BYTES: usize = 16;
/// Length of the encoded id: 16 bytes in unpadded base64.
pub const PUBLIC_ID_LEN: usize = 22;

/// Why a string is not a public id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: expected {PUBLIC_ID_LEN} characters of A-Z, a-z, 0-9, '-' and '_'")]
pub struct PublicIdError;

/// An unguessable public identifier: 128 random bits from a cryptographically secure generator,
/// written as 22 characters of URL-safe base64 without padding. Used in every customer-facing URL
/// instead of a sequential id.
///
/// ```
/// use wetech_domain::PublicId;
/// let id = PublicId::generate();
/// assert_eq!(id.as_str().len(), 22);
/// assert_eq!(PublicId::parse(id.as_str()).unwrap(), id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicId(String);

impl PublicId {
    /// A new random id (16 bytes from the thread-local CSPRNG, seeded from the operating system).
    #[must_use]
    pub fn generate() -> PublicId {
        let mut bytes = [0_u8; BYTES];
        rand::rng().fill_bytes(&mut bytes);
        PublicId(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts exactly the shape [`PublicId::generate`] produces: 22 characters of
    /// `A-Z a-z 0-9 - _` that decode to 16 bytes (in canonical form, so no two strings name the
    /// same id). Nothing is trimmed or re-cased.
    ///
    /// ```
    /// use wetech_domain::PublicId;
    /// assert!(PublicId::parse("AAAAAAAAAAAAAAAAAAAAAA").is_ok());
    /// assert!(PublicId::parse("AAAAAAAAAAAAAAAAAAAAAB").is_err()); // non-canonical last char
    /// assert!(PublicId::parse("1").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<PublicId, PublicIdError> {
        if input.len() != PUBLIC_ID_LEN
            || !input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(PublicIdError);
        }
        match URL_SAFE_NO_PAD.decode(input) {
            Ok(bytes) if bytes.len() == BYTES => Ok(PublicId(input.to_owned())),
            _ => Err(PublicIdError),
        }
    }

    /// The 22-character text form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value_impls!(PublicId, PublicIdError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_ids_are_distinct_and_well_formed() {
        let ids: std::collections::HashSet<String> = (0..10_000)
            .map(|_| PublicId::generate().as_str().to_owned())
            .collect();
        assert_eq!(ids.len(), 10_000);
        for id in &ids {
            assert!(PublicId::parse(id).is_ok(), "{id}");
            assert!(!id.contains('=') && !id.contains('+') && !id.contains('/'));
        }
    }

    #[test]
    fn every_bit_position_varies() {
        // A generator stuck on a constant byte (or a broken encoder) shows up here.
        let decoded: Vec<Vec<u8>> = (0..256)
            .map(|_| {
                URL_SAFE_NO_PAD
                    .decode(PublicId::generate().as_str())
                    .unwrap()
            })
            .collect();
        for byte in 0..BYTES {
            for bit in 0..8 {
                let ones = decoded.iter().filter(|d| d[byte] >> bit & 1 == 1).count();
                assert!(
                    (40..=216).contains(&ones),
                    "byte {byte} bit {bit}: {ones}/256"
                );
            }
        }
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAA==",
            "AAAAAAAAAAAAAAAAAAAA+/",
            " AAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA\u{e9}",
            "../../../../etc/passwd",
            "AAAAAAAAAAAAAAAAAAAAAB",
            "1",
        ] {
            assert_eq!(PublicId::parse(bad), Err(PublicIdError), "{bad:?}");
        }
        assert!(serde_json::from_str::<PublicId>("\"123\"").is_err());
        let id = PublicId::generate();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<PublicId>(&json).unwrap(), id);
    }

    proptest! {
        #[test]
        fn round_trips(bytes in any::<[u8; 16]>()) {
            let text = URL_SAFE_NO_PAD.encode(bytes);
            let id = PublicId::parse(&text).unwrap();
            prop_assert_eq!(PublicId::parse(&format!("{id}")).unwrap(), id);
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            let _ = PublicId::parse(&input);
        }

        #[test]
        fn accepts_only_canonical_22_char_strings(input in "[A-Za-z0-9_-]{20,24}") {
            if let Ok(id) = PublicId::parse(&input) {
                let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).unwrap();
                prop_assert_eq!(URL_SAFE_NO_PAD.encode(bytes), input);
            }
        }
    }
}
