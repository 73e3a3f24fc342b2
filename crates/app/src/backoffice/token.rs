//! Session tokens: 256 bits from the operating system's random number generator, sent to the
//! browser in the cookie and stored only as their SHA-256 (hex), so the sessions table signs
//! nobody in.

use rand::TryRngCore as _;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};

use super::StaffError;

/// Length of a token's text: 32 random bytes in lower-case hex.
pub const TOKEN_LEN: usize = 64;

/// A session's token, as the cookie carries it. Never shown in `Debug`.
pub struct SessionToken(SecretString);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([REDACTED])")
    }
}

impl SessionToken {
    /// A new random token.
    pub(crate) fn generate() -> Result<Self, StaffError> {
        let mut bytes = [0_u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(StaffError::Random)?;
        Ok(SessionToken(SecretString::from(hex::encode(bytes))))
    }

    /// The token's text, for the cookie.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The stored form of a cookie's token, or `None` when the text cannot be a token (so a
/// malformed cookie costs no database query).
#[must_use]
pub fn stored_hash(token: &str) -> Option<String> {
    let well_formed = token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed.then(|| hex::encode(Sha256::digest(token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_formed_and_stored_hashed() {
        let a = SessionToken::generate().unwrap();
        let b = SessionToken::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        let hash = stored_hash(a.expose()).unwrap();
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, a.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
        for bad in ["", "abc", &"g".repeat(64), &"A".repeat(64), &"a".repeat(65)] {
            assert!(stored_hash(bad).is_none(), "{bad:?}");
        }
    }
}
