//! No secret reaches any sink; e-mail addresses and phone numbers are masked.

use secrecy::SecretString;
use wetech_observability::Masked;

use crate::helpers::Capture;

#[test]
fn a_secret_logged_through_debug_never_reaches_any_sink() {
    let values = [
        "pesapal-consumer-secret-7d1c0e",
        "azampay-api-key-55aa41",
        "callback-token-93be77",
        "server-secret-key-with-at-least-32-bytes-0001",
    ];
    let (capture, subscriber) = Capture::new("trace");
    tracing::subscriber::with_default(subscriber, || {
        for value in values {
            let secret = SecretString::from(value);
            let span = tracing::error_span!("gateway call", key = ?secret);
            let _entered = span.enter();
            tracing::error!(secret = ?secret, "calling with {:?}", secret);
            tracing::info!(?secret, "info too");
        }
    });
    let out = capture.finish();
    for (name, text) in out.all() {
        assert!(
            text.contains("REDACTED"),
            "{name} should show the redacted form: {text}"
        );
        for value in values {
            assert!(!text.contains(value), "{name} leaks {value}");
        }
    }
}

#[test]
fn logged_emails_and_phones_are_masked() {
    let email = String::from("juma.ali@example.co.tz");
    let phone = "+255754123456";
    let (capture, subscriber) = Capture::new("info");
    tracing::subscriber::with_default(subscriber, || {
        tracing::error!(email = %Masked::email(&email), phone = %Masked::phone(phone), "lead failed");
        tracing::info!(email = ?Masked::email(&email), "lead received");
    });
    let out = capture.finish();
    for (name, text) in out.all() {
        assert!(text.contains("j***@example.co.tz"), "{name}: {text}");
        assert!(text.contains("+255******456"), "{name}: {text}");
        assert!(!text.contains("juma.ali"), "{name} leaks the address");
        assert!(!text.contains("754123"), "{name} leaks the number");
    }
}
