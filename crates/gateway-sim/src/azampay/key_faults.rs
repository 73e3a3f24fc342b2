//! Faults of AzamPay's public-key endpoint that the generic [`Fault`]s do not spell out: a
//! valid key that is not the one the simulator signs with (a rotated or wrong key), and an
//! answer that is no key at all. A 404, a 500 or a slow answer are plain [`Fault::Status`] and
//! [`Fault::Delay`] on [`crate::Endpoint::AzamPayPublicKey`].

use serde_json::json;

use crate::faults::Fault;

/// A valid RSA public key that did not sign anything the simulator sends.
const OTHER_PUBLIC_KEY_PEM: &str = include_str!("other_public_key.pem");

/// The public-key answer, well formed, carrying a key that does not verify the simulator's
/// signatures (as after a key rotation, or a key served from the wrong place).
#[must_use]
pub fn wrong_azampay_public_key() -> Fault {
    Fault::Status {
        status: 200,
        body: Some(
            json!({"success": true, "format": "Pem", "publicKey": OTHER_PUBLIC_KEY_PEM})
                .to_string(),
        ),
    }
}

/// A 200 answer whose body is not a key (an HTML error page behind a proxy, say).
#[must_use]
pub fn not_an_azampay_public_key() -> Fault {
    Fault::Status {
        status: 200,
        body: Some(
            json!({"success": true, "format": "Pem", "publicKey": "<html>maintenance</html>"})
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrong_key_is_a_key_but_not_the_signing_one() {
        assert!(OTHER_PUBLIC_KEY_PEM.contains("BEGIN PUBLIC KEY"));
        assert_ne!(OTHER_PUBLIC_KEY_PEM, crate::keys::DEV_PUBLIC_KEY_PEM);
        assert!(
            matches!(wrong_azampay_public_key(), Fault::Status { status: 200, body: Some(b) } if b.contains("BEGIN PUBLIC KEY"))
        );
        assert!(
            matches!(not_an_azampay_public_key(), Fault::Status { status: 200, body: Some(b) } if !b.contains("BEGIN"))
        );
    }
}
