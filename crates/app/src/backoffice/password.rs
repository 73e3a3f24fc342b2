//! Passwords: the rule for a new one, and Argon2id hashing.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$…`) made with the `argon2` crate's
//! default parameters: Argon2id, 19 MiB of memory, 2 passes, 1 lane — OWASP's first recommended
//! Argon2id configuration. The parameters travel in each string, so raising them later still
//! verifies the old hashes.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use rand::TryRngCore as _;
use secrecy::{ExposeSecret as _, SecretString};

use super::StaffError;

/// The fewest characters (not bytes) a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The most characters a password may have (a bound on what is hashed).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`MIN_PASSWORD_CHARS`].
    #[error("it has {0} characters; at least {MIN_PASSWORD_CHARS} are needed")]
    TooShort(usize),
    /// Longer than [`MAX_PASSWORD_CHARS`].
    #[error("it is longer than {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

/// A password that follows the rule: 12 to 1024 characters (Unicode scalar values, so "ñ" is
/// one). Any characters are allowed, spaces included. Never shown in `Debug`.
///
/// ```
/// use secrecy::SecretString;
/// use wetech_app::backoffice::NewPassword;
/// assert!(NewPassword::parse(SecretString::from("correct horse")).is_ok());
/// assert!(NewPassword::parse(SecretString::from("ñññññññññññ")).is_err(), "11 characters, 22 bytes");
/// ```
pub struct NewPassword(SecretString);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([REDACTED])")
    }
}

impl NewPassword {
    /// Checks the rule.
    ///
    /// # Errors
    /// [`PasswordError`] saying which bound it broke.
    pub fn parse(password: SecretString) -> Result<Self, PasswordError> {
        let chars = password
            .expose_secret()
            .chars()
            .take(MAX_PASSWORD_CHARS + 1)
            .count();
        if chars < MIN_PASSWORD_CHARS {
            Err(PasswordError::TooShort(chars))
        } else if chars > MAX_PASSWORD_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(NewPassword(password))
        }
    }

    /// The PHC string of its Argon2id hash with a fresh random salt.
    pub(crate) fn hash(&self) -> Result<String, StaffError> {
        hash(self.0.expose_secret())
    }
}

fn hash(password: &str) -> Result<String, StaffError> {
    let mut salt = [0_u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .map_err(StaffError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(StaffError::Hashing)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(StaffError::Hashing)?
        .to_string())
}

/// Whether `password` matches the PHC string `stored`.
pub(crate) fn verify(password: &SecretString, stored: &str) -> Result<bool, StaffError> {
    let parsed = PasswordHash::new(stored).map_err(StaffError::Hashing)?;
    match Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(StaffError::Hashing(e)),
    }
}

/// Verifies `password` against a hash of nothing anyone knows, made once with the same
/// parameters as real ones: a sign-in to no account costs the same time as a wrong password.
pub(crate) fn verify_dummy(password: &SecretString) -> Result<(), StaffError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = match DUMMY.get() {
        Some(s) => s,
        None => {
            let mut secret = [0_u8; 32];
            rand::rngs::OsRng
                .try_fill_bytes(&mut secret)
                .map_err(StaffError::Random)?;
            let made = hash(&hex::encode(secret))?;
            DUMMY.get_or_init(|| made)
        }
    };
    verify(password, stored).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn the_rule_counts_characters_not_bytes() {
        assert_eq!(
            NewPassword::parse(secret("short")).unwrap_err(),
            PasswordError::TooShort(5)
        );
        assert_eq!(
            NewPassword::parse(secret(&"é".repeat(11))).unwrap_err(),
            PasswordError::TooShort(11)
        );
        assert!(NewPassword::parse(secret(&"é".repeat(12))).is_ok());
        assert!(NewPassword::parse(secret(&"x".repeat(1024))).is_ok());
        assert_eq!(
            NewPassword::parse(secret(&"x".repeat(1025))).unwrap_err(),
            PasswordError::TooLong
        );
        assert!(
            !format!(
                "{:?}",
                NewPassword::parse(secret("a secret value")).unwrap()
            )
            .contains("secret value")
        );
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let p = NewPassword::parse(secret("correct horse battery")).unwrap();
        let a = p.hash().unwrap();
        let b = p.hash().unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify(&secret("correct horse battery"), &a).unwrap());
        assert!(!verify(&secret("correct horse batterY"), &a).unwrap());
        assert!(verify(&secret("x"), "not a phc string").is_err());
        verify_dummy(&secret("anything")).unwrap();
    }
}
