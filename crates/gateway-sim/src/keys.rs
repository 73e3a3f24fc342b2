//! The published development key with which the simulator signs AzamPay callbacks.

use std::sync::OnceLock;

use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;

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
