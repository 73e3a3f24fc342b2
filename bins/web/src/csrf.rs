//! CSRF protection for the HTML forms: a random per-browser value in an HttpOnly cookie, and in every
//! form a hidden `csrf_token` that is the HMAC-SHA256 of that value under the server's secret key.
//! A POST is accepted only when the field matches the cookie (constant-time comparison). An attacker
//! on another site can make the browser send the cookie but can neither read it nor compute the token.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Name of the cookie holding the per-browser value.
pub const COOKIE_NAME: &str = "wetech_csrf";
/// Name of the hidden form field.
pub const FIELD_NAME: &str = "csrf_token";

/// Issues and checks tokens.
#[derive(Clone)]
pub struct Csrf {
    key: SecretString,
    secure_cookies: bool,
}

impl Csrf {
    /// `secure_cookies` adds the `Secure` attribute (production).
    #[must_use]
    pub fn new(key: SecretString, secure_cookies: bool) -> Self {
        Self {
            key,
            secure_cookies,
        }
    }

    fn sign(&self, value: &str) -> String {
        // HMAC accepts keys of any length.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes()) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn cookie_value(req: &HttpRequest) -> Option<String> {
        req.cookie(COOKIE_NAME)
            .map(|c| c.value().to_owned())
            .filter(|v| {
                (16..=64).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    }

    /// The token for this browser's forms, and the cookie to set when the browser has none yet.
    #[must_use]
    pub fn token_for(&self, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
        if let Some(v) = Self::cookie_value(req) {
            return (self.sign(&v), None);
        }
        let value = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
        let cookie = Cookie::build(COOKIE_NAME, value.clone())
            .path("/")
            .http_only(true)
            .secure(self.secure_cookies)
            .same_site(SameSite::Lax)
            .finish();
        (self.sign(&value), Some(cookie))
    }

    /// Whether `submitted` is the right token for this browser.
    #[must_use]
    pub fn verify(&self, req: &HttpRequest, submitted: Option<&str>) -> bool {
        let (Some(value), Some(submitted)) = (Self::cookie_value(req), submitted) else {
            return false;
        };
        let expected = self.sign(&value);
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn token_round_trip_and_refusals() {
        let csrf = Csrf::new(SecretString::from("k".repeat(40)), true);
        let (token, cookie) = csrf.token_for(&TestRequest::default().to_http_request());
        let cookie = cookie.unwrap();
        assert!(cookie.http_only().unwrap_or(false) && cookie.secure().unwrap_or(false));
        let req = TestRequest::default()
            .cookie(cookie.clone())
            .to_http_request();
        assert!(csrf.verify(&req, Some(&token)));
        assert!(!csrf.verify(&req, Some("forged")));
        assert!(!csrf.verify(&req, None));
        // Without the cookie the token is worthless.
        assert!(!csrf.verify(&TestRequest::default().to_http_request(), Some(&token)));
        // Another key signs differently.
        let other = Csrf::new(SecretString::from("x".repeat(40)), true);
        assert!(!other.verify(&req, Some(&token)));
    }
}
