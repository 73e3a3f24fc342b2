//! The published development key with which the simulator signs AzamPay callbacks.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

/// DEVELOPMENT-ONLY key pair with which the simulator signs AzamPay callbacks. It is published
/// in this source tree and protects nothing; it exists so a debug build need not generate a
/// 2048-bit RSA key. Never configure it as a real gateway key.
pub const DEV_SIGNING_KEY_PEM: &str = include_str!("keys/dev_signing_key.pem");
/// The public half of [`DEV_SIGNING_KEY_PEM`], as the simulator serves it.
pub const DEV_PUBLIC_KEY_PEM: &str = include_str!("keys/dev_signing_key.pub.pem");

pub(crate) fn signing_key() -> Option<&'static RsaPrivateKey> {
    static KEY: OnceLock<Option<RsaPrivateKey>> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::from_pkcs8_pem(DEV_SIGNING_KEY_PEM).ok())
        .as_ref()
}

/// Base64 RSA PKCS#1 v1.5 / SHA-256 signature of `text` with the development key.
pub(crate) fn sign(text: &str) -> Option<String> {
    let key = signing_key()?;
    let hashed = Sha256::digest(text.as_bytes());
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &hashed)
        .ok()
        .map(|s| STANDARD.encode(s))
}
