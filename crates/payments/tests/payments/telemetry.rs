//! One tracing span per gateway call, with gateway, endpoint, HTTP status and latency, and no
//! secret anywhere in the output (even at TRACE level, dependencies included).

use std::io::Write;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wetech_payments::pesapal::{IpnNotificationType, PesapalClient, PesapalConfig};
use wetech_payments::{AzamPayClient, PaymentGateway};

use crate::helpers::{azampay_checkout, azampay_config, pesapal_checkout, quick, spawn_sim};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[tokio::test]
async fn spans_carry_call_facts_and_no_secret() {
    // tracing caches each callsite's interest globally. Other tests of this binary run the same
    // callsites at the same time on threads without a subscriber; had one of them registered a
    // callsite as "never" while this test's scoped subscriber was being set, its spans would go
    // missing here (seen once in CI). A global subscriber that is interested in everything (and
    // writes nowhere) keeps every callsite's interest at "always".
    static GLOBAL: std::sync::Once = std::sync::Once::new();
    GLOBAL.call_once(|| {
        let sink = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::sink)
            .finish();
        let _ = tracing::subscriber::set_global_default(sink);
    });
    let sim = spawn_sim();
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut config = PesapalConfig::new(
        &sim.pesapal_base_url(),
        "consumer-KEY-4242",
        "consumer-SECRET-4242",
    );
    config.http = quick();
    let pesapal = PesapalClient::new(config).unwrap();
    pesapal
        .find_or_register_ipn("http://127.0.0.1:9/ipn", IpnNotificationType::Get)
        .await
        .unwrap();
    pesapal
        .start_checkout(&pesapal_checkout("INV-LOG-1", "100"))
        .await
        .unwrap();

    let mut az = azampay_config(&sim);
    az.client_secret = SecretString::from("client-SECRET-4242");
    az.api_key = Some(SecretString::from("api-KEY-4242"));
    az.callback_token = Some(SecretString::from("callback-TOKEN-4242"));
    let azampay = AzamPayClient::new(az).unwrap();
    azampay
        .start_checkout(&azampay_checkout("INV-LOG-2", "100", "0712345678"))
        .await
        .unwrap();
    // A rejected callback token is not echoed either.
    let _ = azampay
        .verify_callback(Some("callback-TOKEN-4243"), b"{}")
        .await;

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    for (gateway, endpoint) in [
        ("pesapal", "Auth/RequestToken"),
        ("pesapal", "Transactions/SubmitOrderRequest"),
        ("azampay", "AppRegistration/GenerateToken"),
        ("azampay", "azampay/mno/checkout"),
    ] {
        let head = format!(
            "gateway_call{{gateway=\"{gateway}\" endpoint=\"{endpoint}\" http.status_code=200 latency_ms="
        );
        let closed = text
            .lines()
            .filter(|l| l.contains(&head) && l.contains(" close "))
            .count();
        assert_eq!(closed, 1, "expected one closed span `{head}` in:\n{text}");
    }
    for secret in [
        "consumer-KEY-4242",
        "consumer-SECRET-4242",
        "client-SECRET-4242",
        "api-KEY-4242",
        "callback-TOKEN-424",
        "sim-pesapal-",
        "sim-azampay-",
        "Bearer",
    ] {
        assert!(
            !text.contains(secret),
            "`{secret}` leaked into the logs:\n{text}"
        );
    }
    // Debug output of the clients and configurations hides secrets too.
    let debug = format!("{pesapal:?} {azampay:?}");
    assert!(!debug.contains("4242"), "{debug}");
    drop(_guard);
    sim.stop().await;
}
