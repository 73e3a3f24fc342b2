//! Retry policy: idempotent calls are retried with backoff; a checkout is sent once unless the
//! connection could not even be opened.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use wetech_gateway_sim::{Endpoint, Fault, Simulator};
use wetech_payments::HttpOptions;
use wetech_payments::azampay::AzamPayClient;
use wetech_payments::pesapal::IpnNotificationType;
use wetech_payments::{GatewayError, PaymentGateway, StatusQuery};

use crate::helpers::{
    azampay, azampay_checkout, azampay_config, pesapal, pesapal_checkout, pesapal_ready, quick,
    sim_config, spawn_sim, status_query,
};

#[tokio::test]
async fn token_endpoint_failing_503_twice_then_answering_takes_three_calls() {
    let sim = spawn_sim();
    sim.handle().fail_next(Endpoint::PesapalToken, 2, 503);
    pesapal(&sim).ipn_list().await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::PesapalToken), 3);

    sim.handle().fail_next(Endpoint::AzamPayToken, 2, 503);
    azampay(&sim).payment_partners().await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::AzamPayToken), 3);
    sim.stop().await;
}

#[tokio::test]
async fn retries_stop_after_the_configured_number() {
    let sim = spawn_sim();
    sim.handle().fail_next(Endpoint::PesapalToken, 10, 500);
    let err = pesapal(&sim).ipn_list().await.unwrap_err();
    assert_eq!(
        err,
        GatewayError::Unavailable {
            http_status: Some(500),
            may_have_reached: true
        }
    );
    assert_eq!(
        sim.handle().calls(Endpoint::PesapalToken),
        4,
        "one try plus max_retries = 3"
    );
    // 4xx are not retried.
    sim.handle().clear_faults();
    sim.handle().reset_calls();
    sim.handle().fail_next(Endpoint::PesapalToken, 1, 400);
    assert!(pesapal(&sim).ipn_list().await.is_err());
    assert_eq!(sim.handle().calls(Endpoint::PesapalToken), 1);
    sim.stop().await;
}

#[tokio::test]
async fn status_queries_are_retried_on_5xx_and_429_and_dropped_connections() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    let checkout = client
        .start_checkout(&pesapal_checkout("INV-RS-1", "100"))
        .await
        .unwrap();
    let q = StatusQuery {
        merchant_reference: String::new(),
        gateway_reference: Some(checkout.gateway_reference),
        provider: None,
    };
    sim.handle().fail_next(Endpoint::PesapalStatus, 1, 502);
    sim.handle().fail_next(Endpoint::PesapalStatus, 1, 429);
    sim.handle().drop_next(Endpoint::PesapalStatus, 1);
    client.query_status(&q).await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::PesapalStatus), 4);
    sim.stop().await;
}

#[tokio::test]
async fn a_checkout_that_times_out_is_sent_exactly_once_and_may_have_reached() {
    let sim = spawn_sim();
    let mut config = crate::helpers::pesapal_config(&sim);
    config.http = HttpOptions {
        timeout: Duration::from_millis(400),
        ..quick()
    };
    let client = wetech_payments::PesapalClient::new(config).unwrap();
    client
        .find_or_register_ipn("http://127.0.0.1:9/ipn", IpnNotificationType::Get)
        .await
        .unwrap();
    sim.handle()
        .delay_next(Endpoint::PesapalSubmitOrder, 1, Duration::from_millis(1500));
    let err = client
        .start_checkout(&pesapal_checkout("INV-TO-1", "100"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Timeout {
            may_have_reached: true
        }
    );
    assert!(err.may_have_reached_gateway() && !err.is_safe_to_retry());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        sim.handle().calls(Endpoint::PesapalSubmitOrder),
        1,
        "never re-sent"
    );
    // The gateway did create it: the outcome is unknown to the caller, not "failed".
    assert_eq!(sim.handle().pesapal_orders().len(), 1);

    // The same for an AzamPay push.
    let mut config = azampay_config(&sim);
    config.http = HttpOptions {
        timeout: Duration::from_millis(400),
        ..quick()
    };
    let az = AzamPayClient::new(config).unwrap();
    az.payment_partners().await.unwrap();
    sim.handle()
        .delay_next(Endpoint::AzamPayMnoCheckout, 1, Duration::from_millis(1500));
    let err = az
        .start_checkout(&azampay_checkout("INV-TO-2", "100", "0712345678"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Timeout {
            may_have_reached: true
        }
    );
    assert_eq!(sim.handle().calls(Endpoint::AzamPayMnoCheckout), 1);
    sim.stop().await;
}

#[tokio::test]
async fn a_checkout_answered_with_5xx_or_a_dropped_connection_is_not_resent() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    sim.handle().fail_next(Endpoint::PesapalSubmitOrder, 1, 503);
    let err = client
        .start_checkout(&pesapal_checkout("INV-5X-1", "100"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Unavailable {
            http_status: Some(503),
            may_have_reached: true
        }
    );
    assert_eq!(sim.handle().calls(Endpoint::PesapalSubmitOrder), 1);

    sim.handle().drop_next(Endpoint::AzamPayMnoCheckout, 1);
    let az = azampay(&sim);
    let err = az
        .start_checkout(&azampay_checkout("INV-5X-2", "100", "0712345678"))
        .await
        .unwrap_err();
    assert!(
        err.may_have_reached_gateway() && !err.is_safe_to_retry(),
        "{err:?}"
    );
    assert_eq!(sim.handle().calls(Endpoint::AzamPayMnoCheckout), 1);
    // AzamPay's 500 with an empty body.
    sim.handle().fail_next(Endpoint::AzamPayMnoCheckout, 1, 500);
    let err = az
        .start_checkout(&azampay_checkout("INV-5X-3", "100", "0712345678"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Unavailable {
            http_status: Some(500),
            may_have_reached: true
        }
    );
    assert_eq!(sim.handle().calls(Endpoint::AzamPayMnoCheckout), 2);
    sim.stop().await;
}

#[tokio::test]
async fn a_checkout_whose_connection_is_refused_is_retried_and_then_sent_once() {
    // The token comes from the authenticator host; the checkout host is not listening yet and
    // starts a moment later on a port reserved now, serving the same simulator state.
    let simulator = Simulator::new(sim_config());
    let auth = simulator.clone().spawn().unwrap();
    let reserved = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let mut config = azampay_config(&auth);
    config.checkout_base_url = format!("http://{addr}/_simulator/azampay/checkout");
    config.http = HttpOptions {
        timeout: Duration::from_secs(5),
        max_retries: 20,
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(200),
    };
    let client = AzamPayClient::new(config).unwrap();
    let late = simulator.clone();
    let starter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        late.spawn_on(TcpListener::bind(addr).unwrap()).unwrap()
    });
    let started = Instant::now();
    let answer = client
        .start_checkout(&azampay_checkout("INV-CR-1", "100", "0712345678"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "it had to wait for the listener"
    );
    assert_eq!(simulator.handle().calls(Endpoint::AzamPayMnoCheckout), 1);
    assert!(
        simulator
            .handle()
            .azampay_transaction(&answer.gateway_reference)
            .is_some()
    );
    starter.await.unwrap().stop().await;
    auth.stop().await;
}

#[tokio::test]
async fn nothing_listening_at_all_is_unavailable_and_provably_not_sent() {
    let reserved = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let mut config =
        wetech_payments::PesapalConfig::new(&format!("http://{addr}/pesapal"), "k", "s");
    config.http = quick();
    config.ipn_id = Some("ipn".into());
    let client = wetech_payments::PesapalClient::new(config).unwrap();
    let err = client
        .start_checkout(&pesapal_checkout("INV-NL-1", "100"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Unavailable {
            http_status: None,
            may_have_reached: false
        }
    );
    assert!(err.is_safe_to_retry());
}

/// The page a CDN in front of Pesapal answers with when it blocks a client (docs/payments.md).
const CDN_BLOCK_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Attention Required! | Cloudflare</title></head>\
<body><h1>Sorry, you have been blocked</h1></body></html>";

fn edge_block(status: u16, page: bool) -> Fault {
    Fault::Status {
        status,
        body: page.then(|| CDN_BLOCK_PAGE.to_owned()),
    }
}

const BLOCKED: GatewayError = GatewayError::Unavailable {
    http_status: Some(403),
    may_have_reached: true,
};

#[tokio::test]
async fn pesapal_edge_blocks_are_unavailability_that_safe_calls_retry() {
    let sim = spawn_sim();
    // The token call: an HTML 403 twice, then Pesapal answers.
    sim.handle()
        .inject(Endpoint::PesapalToken, edge_block(403, true), 2);
    pesapal(&sim).ipn_list().await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::PesapalToken), 3);

    // A block that lasts is "unavailable" (503 to the customer), never "unauthorized".
    sim.handle().reset_calls();
    sim.handle()
        .inject(Endpoint::PesapalToken, edge_block(403, false), 10);
    let err = pesapal(&sim).ipn_list().await.unwrap_err();
    assert_eq!(err, BLOCKED);
    assert!(err.is_transient());
    assert_eq!(sim.handle().calls(Endpoint::PesapalToken), 4);
    sim.handle().clear_faults();

    // A status query, blocked once with a page and once with an HTML 502 error page.
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    let checkout = client
        .start_checkout(&pesapal_checkout("INV-EB-1", "100"))
        .await
        .unwrap();
    let q = status_query(&checkout.gateway_reference, None);
    sim.handle().reset_calls();
    sim.handle()
        .inject(Endpoint::PesapalStatus, edge_block(403, true), 1);
    sim.handle()
        .inject(Endpoint::PesapalStatus, edge_block(502, true), 1);
    client.query_status(&q).await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::PesapalStatus), 3);

    // An HTML page where JSON was due, even with 200, is not Pesapal's answer either.
    sim.handle()
        .inject(Endpoint::PesapalStatus, edge_block(200, true), 1);
    let err = client.query_status(&q).await.unwrap_err();
    assert!(
        matches!(
            err,
            GatewayError::Unavailable {
                http_status: Some(200),
                ..
            }
        ),
        "{err:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_pesapal_checkout_blocked_at_the_edge_is_unavailable_and_not_resent() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    sim.handle()
        .inject(Endpoint::PesapalSubmitOrder, edge_block(403, true), 1);
    let err = client
        .start_checkout(&pesapal_checkout("INV-EB-2", "100"))
        .await
        .unwrap_err();
    assert_eq!(err, BLOCKED);
    assert!(!err.is_safe_to_retry() && !err.is_outcome_unknown());
    assert_eq!(sim.handle().calls(Endpoint::PesapalSubmitOrder), 1);
    sim.stop().await;
}

#[tokio::test]
async fn azampay_keeps_its_own_403_as_a_refusal() {
    let sim = spawn_sim();
    sim.handle().fail_next(Endpoint::AzamPayToken, 1, 403);
    let err = azampay(&sim).payment_partners().await.unwrap_err();
    assert!(matches!(err, GatewayError::Unauthorized { .. }), "{err:?}");
    assert_eq!(sim.handle().calls(Endpoint::AzamPayToken), 1);
    sim.stop().await;
}
