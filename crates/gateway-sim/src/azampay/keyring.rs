//! The key pairs the simulated AzamPay signs callbacks with and serves as its public key, and
//! their rotation: generation 0 is the published development key ([`crate::DEV_SIGNING_KEY_PEM`]),
//! each rotation switches to the other published pair, as AzamPay replacing its key would
//! (docs/payments.md, "AzamPay callbacks and signatures").

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

use crate::keys::{DEV_PUBLIC_KEY_PEM, signing_key};

/// DEVELOPMENT-ONLY second key pair, published like the first; it protects nothing.
const ROTATED_SIGNING_KEY_PEM: &str = include_str!("rotated_signing_key.pem");
/// The public half of [`ROTATED_SIGNING_KEY_PEM`].
const ROTATED_PUBLIC_KEY_PEM: &str = include_str!("rotated_signing_key.pub.pem");

fn rotated_key() -> Option<&'static RsaPrivateKey> {
    static KEY: OnceLock<Option<RsaPrivateKey>> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::from_pkcs8_pem(ROTATED_SIGNING_KEY_PEM).ok())
        .as_ref()
}

/// The private key of a generation.
pub(crate) fn private_key(generation: u32) -> Option<&'static RsaPrivateKey> {
    if generation.is_multiple_of(2) {
        signing_key()
    } else {
        rotated_key()
    }
}

/// The PEM public key of a generation, as the key endpoint serves it.
pub(crate) fn public_pem(generation: u32) -> &'static str {
    if generation.is_multiple_of(2) {
        DEV_PUBLIC_KEY_PEM
    } else {
        ROTATED_PUBLIC_KEY_PEM
    }
}

/// Base64 RSA PKCS#1 v1.5 / SHA-256 signature of `text` with the key of `generation`.
pub(crate) fn sign(generation: u32, text: &str) -> Option<String> {
    let key = private_key(generation)?;
    key.sign(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(text.as_bytes()),
    )
    .ok()
    .map(|s| STANDARD.encode(s))
}

#[cfg(test)]
mod tests {
    use rsa::pkcs8::DecodePublicKey;

    use super::*;

    #[test]
    fn each_generation_signs_with_the_key_it_serves() {
        for generation in [0, 1, 2] {
            let public = rsa::RsaPublicKey::from_public_key_pem(public_pem(generation)).unwrap();
            let signature = STANDARD.decode(sign(generation, "text").unwrap()).unwrap();
            let hashed = Sha256::digest(b"text");
            assert!(
                public
                    .verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &signature)
                    .is_ok()
            );
        }
        assert_ne!(public_pem(0), public_pem(1));
    }
}
