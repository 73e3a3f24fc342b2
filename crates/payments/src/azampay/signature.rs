//! AzamPay callback signatures (RSA PKCS#1 v1.5 over SHA-256) and constant-time token comparison.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::GatewayError;

/// Smallest RSA modulus accepted for AzamPay's key.
const MIN_KEY_BITS: usize = 1024;

/// Compares two shared secrets in constant time (both are hashed first, so even the length is
/// not revealed by timing).
///
/// ```
/// use wetech_payments::tokens_match;
/// assert!(tokens_match("s3cret-callback-token", "s3cret-callback-token"));
/// assert!(!tokens_match("s3cret-callback-token", "s3cret-callback-tokeN"));
/// assert!(!tokens_match("", "x"));
/// ```
#[must_use]
pub fn tokens_match(a: &str, b: &str) -> bool {
    let ha = Sha256::digest(a.as_bytes());
    let hb = Sha256::digest(b.as_bytes());
    bool::from(ha.as_slice().ct_eq(hb.as_slice()))
}

fn key_error(what: &str) -> GatewayError {
    GatewayError::InvalidResponse(format!("AzamPay public key: {what}"))
}

fn xml_field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].trim())
}

fn from_der(der: &[u8]) -> Option<RsaPublicKey> {
    RsaPublicKey::from_public_key_der(der)
        .or_else(|_| RsaPublicKey::from_pkcs1_der(der))
        .ok()
}

/// Reads an RSA public key in any form AzamPay might serve it: PEM (`PUBLIC KEY` or
/// `RSA PUBLIC KEY`, with any line breaks), .NET XML (`<RSAKeyValue>`), or bare base64 DER.
///
/// ```
/// use wetech_payments::azampay::parse_public_key;
/// assert!(parse_public_key("not a key").is_err());
/// ```
pub fn parse_public_key(text: &str) -> Result<RsaPublicKey, GatewayError> {
    let text = text.trim();
    if text.len() > 16 * 1024 {
        return Err(key_error("too large"));
    }
    let key = if text.contains("<RSAKeyValue>") {
        let modulus = xml_field(text, "Modulus").ok_or_else(|| key_error("XML without Modulus"))?;
        let exponent =
            xml_field(text, "Exponent").ok_or_else(|| key_error("XML without Exponent"))?;
        let n = STANDARD
            .decode(modulus)
            .map_err(|_| key_error("Modulus is not base64"))?;
        let e = STANDARD
            .decode(exponent)
            .map_err(|_| key_error("Exponent is not base64"))?;
        RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
            .map_err(|_| key_error("invalid RSA parameters"))?
    } else {
        let body: String = if text.contains("-----BEGIN") {
            text.lines()
                .flat_map(|l| l.split("\\n"))
                .filter(|l| !l.contains("-----"))
                .collect::<Vec<_>>()
                .join("")
        } else {
            text.to_owned()
        };
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let der = STANDARD
            .decode(&compact)
            .or_else(|_| STANDARD_NO_PAD.decode(&compact))
            .map_err(|_| key_error("not PEM, XML or base64 DER"))?;
        from_der(&der).ok_or_else(|| key_error("not an RSA public key"))?
    };
    if key.size() * 8 < MIN_KEY_BITS {
        return Err(key_error("modulus too small"));
    }
    Ok(key)
}

/// Verifies a base64 RSA-SHA256 (PKCS#1 v1.5) signature over `message`.
#[must_use]
pub fn verify_signature(key: &RsaPublicKey, message: &[u8], signature_b64: &str) -> bool {
    let compact: String = signature_b64
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Ok(signature) = STANDARD
        .decode(&compact)
        .or_else(|_| STANDARD_NO_PAD.decode(&compact))
    else {
        return false;
    };
    let hashed = Sha256::digest(message);
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
        assert!(tokens_match("", ""));
    }

    #[test]
    fn garbage_keys_and_signatures_are_refused() {
        for bad in [
            "",
            "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----",
            "<RSAKeyValue></RSAKeyValue>",
            "AAAA",
        ] {
            assert!(parse_public_key(bad).is_err(), "{bad}");
        }
    }
}
