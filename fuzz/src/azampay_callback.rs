//! Target `azampay_callback`: `AzamPayClient::verify_callback` (path token, `parse_callback`,
//! RSA signature against a pinned key) and `parse_public_key`.
//!
//! Input: one byte, then the rest. Selector bits 0-1: which path token is given (none, the
//! right one, a wrong one, the right one with a space); bit 2: the client that requires a
//! signature and checks no token, instead of the one that checks a token and takes unsigned
//! callbacks; bits 3-7 all set: the rest is a public key for `parse_public_key` instead.
//! The pinned key is the simulator's published development key, so callbacks signed with its
//! private half (fuzz/README.md) verify.

use std::sync::OnceLock;

use rsa::traits::PublicKeyParts as _;
use secrecy::SecretString;
use wetech_payments::azampay::{
    Authenticity, AzamPayCallback, AzamPayClient, AzamPayConfig, parse_callback, parse_public_key,
    verify_signature,
};
use wetech_payments::{GatewayError, GatewayStatus};

use crate::input::{Input, text};

const TOKEN: &str = "fuzz-callback-token";
const PUBLIC_KEY: &str = include_str!("../../crates/gateway-sim/src/keys/dev_signing_key.pub.pem");

struct Clients {
    runtime: tokio::runtime::Runtime,
    /// [`PUBLIC_KEY`], read.
    key: rsa::RsaPublicKey,
    /// Checks the path token; unsigned callbacks are taken.
    with_token: AzamPayClient,
    /// No path token; unsigned callbacks are refused.
    signed_only: AzamPayClient,
}

fn clients() -> &'static Clients {
    static CLIENTS: OnceLock<Clients> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let client = |token: Option<&str>, require_signature: bool| {
            let mut config = AzamPayConfig::new(
                "http://127.0.0.1:9",
                "http://127.0.0.1:9",
                "fuzz",
                "client-id",
                "client-secret",
            );
            config.callback_token = token.map(Into::into);
            config.require_signature = require_signature;
            config.public_key_pem = Some(PUBLIC_KEY.to_owned());
            AzamPayClient::new(config).unwrap_or_else(|e| panic!("fuzz client: {e}"))
        };
        Clients {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap_or_else(|e| panic!("fuzz runtime: {e}")),
            key: parse_public_key(PUBLIC_KEY).unwrap_or_else(|e| panic!("development key: {e}")),
            with_token: client(Some(TOKEN), false),
            signed_only: client(None, true),
        }
    })
}

/// Verifies one callback (or reads one public key) and checks what a result promises.
pub fn azampay_callback(data: &[u8]) {
    let mut input = Input::new(data);
    let selector = input.byte();
    let rest = input.rest();
    if selector >> 3 == 0x1f {
        if let Ok(key) = parse_public_key(&text(rest)) {
            assert!(key.size() * 8 >= 1024, "a key under 1024 bits accepted");
        }
        return;
    }
    let token = match selector & 3 {
        0 => None,
        1 => Some(TOKEN.to_owned()),
        2 => Some(format!("{TOKEN}x")),
        _ => Some(format!(" {TOKEN}")),
    };
    let c = clients();
    let signed_only = selector & 4 != 0;
    let client = if signed_only {
        &c.signed_only
    } else {
        &c.with_token
    };
    let verified = c
        .runtime
        .block_on(client.verify_callback(token.as_deref(), rest));
    let parsed = parse_callback(rest);
    match verified {
        Ok(cb) => {
            assert!(
                signed_only || token.as_deref() == Some(TOKEN),
                "wrong token accepted"
            );
            let plain = parsed.unwrap_or_else(|e| panic!("verified but does not parse: {e}"));
            assert_eq!(cb.signed_text(), plain.signed_text());
            match cb.authenticity {
                Authenticity::Signed => {
                    let signature = cb.signature.as_deref().unwrap_or_else(|| {
                        panic!("signed without a signature");
                    });
                    assert!(verify_signature(
                        &c.key,
                        cb.signed_text().as_bytes(),
                        signature
                    ));
                }
                Authenticity::Unsigned => {
                    assert!(
                        !signed_only,
                        "unsigned callback taken by the signed-only client"
                    );
                    assert!(cb.signature.is_none(), "a signature was not checked");
                }
                Authenticity::NotChecked => panic!("verified callback says NotChecked"),
            }
            check_callback(&cb);
        }
        Err(GatewayError::InvalidSignature(_) | GatewayError::InvalidNotification(_)) => {}
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
}

/// What every parsed callback promises: a non-negative amount, a status consistent with it,
/// and a `Debug` form that shows neither the password nor the payer's whole number.
fn check_callback(cb: &AzamPayCallback) {
    assert!(cb.amount.minor() >= 0, "negative amount");
    assert!(!cb.utility_ref.trim().is_empty(), "blank utilityref");
    match cb.status() {
        GatewayStatus::Completed(d) => assert_eq!(d.amount, cb.amount),
        GatewayStatus::Failed { reason } => assert!(!reason.trim().is_empty()),
        other => panic!("a callback reads as {other:?}"),
    }
    // Another password, and another middle of the number, must not change what shows.
    let mut other = cb.clone();
    if other.password.is_some() {
        other.password = Some(SecretString::from("another password"));
    }
    let chars: Vec<char> = cb.msisdn.as_deref().unwrap_or_default().chars().collect();
    if chars.len() > 4 {
        other.msisdn = Some(
            chars
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if i < 2 || i >= chars.len() - 2 {
                        c
                    } else {
                        '#'
                    }
                })
                .collect(),
        );
    }
    assert_eq!(
        format!("{cb:?}"),
        format!("{other:?}"),
        "Debug shows a secret"
    );
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::{Pkcs1v15Sign, RsaPrivateKey};
    use sha2::{Digest as _, Sha256};

    use super::*;

    const PRIVATE_KEY: &str = include_str!("../../crates/gateway-sim/src/keys/dev_signing_key.pem");

    fn body(signature: Option<&str>) -> Vec<u8> {
        let mut cb = serde_json::json!({
            "utilityref": "INV-2025-000001-2", "externalreference": "pg-1", "transactionstatus": "success",
            "operator": "Airtel", "amount": "2000", "msisdn": "255712345678", "password": "pw-secret",
        });
        if let Some(s) = signature {
            cb["signature"] = s.into();
        }
        cb.to_string().into_bytes()
    }

    fn signature(text: &str) -> String {
        let key = RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).unwrap();
        let signed = key
            .sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(text.as_bytes()),
            )
            .unwrap();
        base64::engine::general_purpose::STANDARD.encode(signed)
    }

    /// The target reaches the signed path: a callback signed with the development key verifies
    /// through the same clients the target uses.
    #[test]
    fn signed_callbacks_verify_with_the_pinned_key() {
        let good = signature("INV-2025-000001-2pg-1successAirtel");
        let c = clients();
        let cb = c
            .runtime
            .block_on(c.signed_only.verify_callback(None, &body(Some(&good))))
            .unwrap();
        assert_eq!(cb.authenticity, Authenticity::Signed);
        let bad = signature("something else");
        assert!(
            c.runtime
                .block_on(c.signed_only.verify_callback(None, &body(Some(&bad))))
                .is_err()
        );
        for selector in 0..8 {
            let mut input = vec![selector];
            input.extend(body(Some(&good)));
            azampay_callback(&input);
        }
    }
}
