//! The Pesapal client against the simulator over real HTTP.

use std::time::Duration;

use wetech_gateway_sim::{DeliveryKind, Endpoint, PostEncoding, Simulator, SimulatorConfig};
use wetech_payments::pesapal::{
    BillingAddress, IpnNotificationType, PesapalClient, PesapalConfig, PesapalNotificationType,
    RefundRequest, SubmitOrder,
};
use wetech_payments::{
    Currency, GatewayError, GatewayStatus, IncomingNotification, Money, Notification,
    NotificationMethod, PaymentGateway, StatusQuery,
};

use crate::helpers::{
    Receiver, money_of, pesapal, pesapal_checkout, pesapal_config, pesapal_ready, quick,
    sim_config, spawn_sim, tzs,
};

fn query(tracking: &str) -> StatusQuery {
    StatusQuery {
        merchant_reference: String::new(),
        gateway_reference: Some(tracking.to_owned()),
        provider: None,
    }
}

#[tokio::test]
async fn checkout_then_status_through_every_outcome() {
    let sim = spawn_sim();
    let client = pesapal_ready(
        &sim,
        "http://127.0.0.1:9/payments/pesapal/ipn",
        IpnNotificationType::Get,
    )
    .await;
    let checkout = client
        .start_checkout(&pesapal_checkout("INV-2025-000001-1", "500000.00"))
        .await
        .unwrap();
    assert_eq!(checkout.merchant_reference, "INV-2025-000001-1");
    let redirect = checkout.redirect_url().unwrap();
    assert!(
        redirect.contains("/pesapaliframe/PesapalIframe3/Index?OrderTrackingId="),
        "{redirect}"
    );
    // The amount arrived as an exact JSON number (the simulator refuses strings and imprecision).
    let order = sim
        .handle()
        .pesapal_order(&checkout.gateway_reference)
        .unwrap();
    assert_eq!(money_of(order.amount), tzs("500000.00"));

    // Not yet paid: the "pending looks like an error" answer is pending.
    let report = client
        .query_status(&query(&checkout.gateway_reference))
        .await
        .unwrap();
    assert_eq!(report.status, GatewayStatus::Pending);
    assert_eq!(
        report.merchant_reference.as_deref(),
        Some("INV-2025-000001-1")
    );

    sim.handle()
        .complete_pesapal_order(&checkout.gateway_reference)
        .unwrap();
    let report = client
        .query_status(&query(&checkout.gateway_reference))
        .await
        .unwrap();
    let GatewayStatus::Completed(details) = report.status else {
        panic!("{report:?}")
    };
    assert_eq!(details.amount, tzs("500000.00"));
    assert_eq!(details.method, "Visa");
    assert!(!details.confirmation_code.is_empty());
    assert_eq!(details.payer_account, "476173**0010");

    sim.handle()
        .reverse_pesapal_order(&checkout.gateway_reference)
        .unwrap();
    let report = client
        .query_status(&query(&checkout.gateway_reference))
        .await
        .unwrap();
    assert!(
        matches!(report.status, GatewayStatus::Reversed { .. }),
        "{report:?}"
    );

    let failed = client
        .start_checkout(&pesapal_checkout("INV-2025-000001-2", "10.50"))
        .await
        .unwrap();
    sim.handle()
        .fail_pesapal_order(&failed.gateway_reference)
        .unwrap();
    let report = client
        .query_status(&query(&failed.gateway_reference))
        .await
        .unwrap();
    let GatewayStatus::Failed { reason } = report.status else {
        panic!("{report:?}")
    };
    assert!(reason.contains("request_terminated_by_user"), "{reason}");
    sim.stop().await;
}

#[tokio::test]
async fn order_validation_happens_before_anything_is_sent() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    let before = sim.handle().calls(Endpoint::PesapalSubmitOrder);
    let too_long = pesapal_checkout(&"R".repeat(51), "100");
    assert!(matches!(
        client.start_checkout(&too_long).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    let odd_chars = pesapal_checkout("INV 1<script>", "100");
    assert!(matches!(
        client.start_checkout(&odd_chars).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    let zero = pesapal_checkout("INV-ZERO", "0");
    assert!(matches!(
        client.start_checkout(&zero).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    let mut no_contact = pesapal_checkout("INV-NOCONTACT", "100");
    no_contact.payer.email = None;
    no_contact.payer.phone = None;
    assert!(matches!(
        client.start_checkout(&no_contact).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    let mut no_callback = pesapal_checkout("INV-NOCB", "100");
    no_callback.callback_url = None;
    assert!(matches!(
        client.start_checkout(&no_callback).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert_eq!(sim.handle().calls(Endpoint::PesapalSubmitOrder), before);

    // A long description is cut to Pesapal's 100 characters rather than refused.
    let mut long = pesapal_checkout("INV-LONGDESC", "100");
    long.description = "é".repeat(150);
    client.start_checkout(&long).await.unwrap();
    sim.stop().await;
}

#[tokio::test]
async fn gateway_rejections_carry_code_and_message() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    client
        .start_checkout(&pesapal_checkout("INV-DUP", "100"))
        .await
        .unwrap();
    let err = client
        .start_checkout(&pesapal_checkout("INV-DUP", "100"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Rejected { code, .. } if code == "duplicate_merchant_reference"),
        "{err:?}"
    );
    assert!(!err.may_have_reached_gateway() && !err.is_transient());
    // Unknown tracking id.
    let err = client
        .query_status(&query("00000000-0000-0000-0000-000000000000"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Rejected { code, .. } if code == "invalid_order_tracking_id"),
        "{err:?}"
    );
    // An IPN id the gateway does not know.
    client.set_ipn_id("not-registered");
    let err = client
        .start_checkout(&pesapal_checkout("INV-BADIPN", "100"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Rejected { code, .. } if code == "invalid_notification_id"),
        "{err:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_even_with_http_200() {
    let sim = Simulator::new(SimulatorConfig {
        pesapal_credentials: Some(("right-key".into(), "right-secret".into())),
        ..sim_config()
    })
    .spawn()
    .unwrap();
    let client = pesapal(&sim);
    let err = client.ipn_list().await.unwrap_err();
    assert!(
        matches!(&err, GatewayError::Unauthorized { code, .. } if code == "invalid_consumer_key_or_secret_provided"),
        "{err:?}"
    );
    let mut config = PesapalConfig::new(&sim.pesapal_base_url(), "right-key", "right-secret");
    config.http = quick();
    assert!(
        PesapalClient::new(config)
            .unwrap()
            .ipn_list()
            .await
            .unwrap()
            .is_empty()
    );
    sim.stop().await;
}

#[tokio::test]
async fn token_is_cached_until_its_stated_expiry_and_renewed_after() {
    let sim = spawn_sim();
    sim.handle().set_token_lifetime(Duration::from_millis(1500));
    let client = pesapal(&sim);
    for _ in 0..3 {
        client.ipn_list().await.unwrap();
    }
    assert_eq!(
        sim.handle().calls(Endpoint::PesapalToken),
        1,
        "one token for three calls"
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    client.ipn_list().await.unwrap();
    assert_eq!(
        sim.handle().calls(Endpoint::PesapalToken),
        2,
        "renewed after expiry"
    );
    assert_eq!(sim.handle().calls(Endpoint::PesapalIpnList), 4);
    sim.stop().await;
}

#[tokio::test]
async fn a_long_stated_expiry_is_honoured_beyond_five_minutes() {
    // The recorded sandbox token lived an hour; the client must not assume five minutes. Here the
    // simulator states ten minutes; calls within a few seconds must reuse the token.
    let sim = spawn_sim();
    sim.handle().set_token_lifetime(Duration::from_secs(600));
    let client = pesapal(&sim);
    client.ipn_list().await.unwrap();
    client.ipn_list().await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::PesapalToken), 1);
    sim.stop().await;
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_repeats_the_call() {
    let sim = spawn_sim();
    let client = pesapal(&sim);
    client.ipn_list().await.unwrap();
    sim.handle().fail_next(Endpoint::PesapalIpnList, 1, 401);
    client.ipn_list().await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::PesapalToken), 2);
    assert_eq!(sim.handle().calls(Endpoint::PesapalIpnList), 3);
    // Two 401s in a row: unauthorized, no loop.
    sim.handle().fail_next(Endpoint::PesapalIpnList, 2, 401);
    let err = client.ipn_list().await.unwrap_err();
    assert!(matches!(err, GatewayError::Unauthorized { .. }), "{err:?}");
    assert_eq!(sim.handle().calls(Endpoint::PesapalIpnList), 5);
    sim.stop().await;
}

#[tokio::test]
async fn ipn_is_found_before_it_is_registered() {
    let sim = spawn_sim();
    let client = pesapal(&sim);
    let url = "https://shop.example/payments/pesapal/ipn";
    let first = client
        .find_or_register_ipn(url, IpnNotificationType::Get)
        .await
        .unwrap();
    assert_eq!(first.active, Some(true));
    assert_eq!(first.notification_type, Some(IpnNotificationType::Get));
    let again = pesapal(&sim)
        .find_or_register_ipn(url, IpnNotificationType::Get)
        .await
        .unwrap();
    assert_eq!(again.ipn_id, first.ipn_id);
    assert_eq!(sim.handle().calls(Endpoint::PesapalRegisterIpn), 1);
    let list = client.ipn_list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].url, url);
    // Another URL is registered, and becomes the id used for orders.
    let other = client
        .find_or_register_ipn("https://shop.example/other-ipn", IpnNotificationType::Post)
        .await
        .unwrap();
    assert_ne!(other.ipn_id, first.ipn_id);
    assert_eq!(client.ipn_id().as_deref(), Some(other.ipn_id.as_str()));
    assert_eq!(sim.handle().calls(Endpoint::PesapalRegisterIpn), 2);
    assert!(matches!(
        client
            .register_ipn("not a url", IpnNotificationType::Get)
            .await,
        Err(GatewayError::InvalidRequest(_))
    ));
    sim.stop().await;
}

#[tokio::test]
async fn configured_ipn_url_is_registered_on_first_checkout() {
    let sim = spawn_sim();
    let mut config = pesapal_config(&sim);
    config.ipn_url = Some("https://shop.example/ipn".into());
    let client = PesapalClient::new(config).unwrap();
    assert!(client.ipn_id().is_none());
    client
        .start_checkout(&pesapal_checkout("INV-AUTO-1", "100"))
        .await
        .unwrap();
    client
        .start_checkout(&pesapal_checkout("INV-AUTO-2", "100"))
        .await
        .unwrap();
    assert!(client.ipn_id().is_some());
    assert_eq!(sim.handle().calls(Endpoint::PesapalRegisterIpn), 1);
    // Without an IPN id or URL a checkout is a configuration error, and nothing is sent.
    let bare = pesapal(&sim);
    assert!(matches!(
        bare.start_checkout(&pesapal_checkout("INV-X", "1")).await,
        Err(GatewayError::Config(_))
    ));
    sim.stop().await;
}

#[tokio::test]
async fn submit_order_sends_every_documented_field() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    let mut order = SubmitOrder::new(
        "SUB-1",
        Money::parse_decimal("1500", Currency::UGX).unwrap(),
        "Monthly hosting",
        "https://shop.example/return",
        BillingAddress {
            email_address: Some("a@example.com".into()),
            phone_number: Some("0712345678".into()),
            country_code: Some("UG".into()),
            first_name: Some("A".into()),
            middle_name: Some("B".into()),
            last_name: Some("C".into()),
            line_1: Some("Plot 1".into()),
            line_2: Some("Street".into()),
            city: Some("Kampala".into()),
            state: Some("Central".into()),
            postal_code: Some("256".into()),
            zip_code: Some("256".into()),
        },
    );
    order.redirect_mode = Some(wetech_payments::pesapal::RedirectMode::ParentWindow);
    order.branch = Some("HQ".into());
    order.account_number = Some("ACC-1".into());
    order.subscription_details = Some(wetech_payments::pesapal::SubscriptionDetails {
        start_date: "01-01-2026".into(),
        end_date: "31-12-2026".into(),
        frequency: wetech_payments::pesapal::Frequency::Monthly,
    });
    let submitted = client.submit_order(&order).await.unwrap();
    assert_eq!(submitted.merchant_reference, "SUB-1");
    assert_eq!(
        sim.handle()
            .pesapal_order(&submitted.order_tracking_id)
            .unwrap()
            .amount
            .minor(),
        1500
    );
    sim.stop().await;
}

#[tokio::test]
async fn refund_and_cancel() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    let paid = client
        .start_checkout(&pesapal_checkout("INV-R-1", "1000.00"))
        .await
        .unwrap();
    sim.handle()
        .complete_pesapal_order(&paid.gateway_reference)
        .unwrap();
    let GatewayStatus::Completed(d) = client
        .query_status(&query(&paid.gateway_reference))
        .await
        .unwrap()
        .status
    else {
        panic!()
    };
    let refund = RefundRequest {
        confirmation_code: d.confirmation_code.clone(),
        amount: tzs("400.00"),
        username: "ops@wetech".into(),
        remarks: "customer asked".into(),
    };
    assert_eq!(
        client.refund(&refund).await.unwrap(),
        "Refund request successfully"
    );
    let err = client.refund(&refund).await.unwrap_err();
    assert!(
        matches!(err, GatewayError::Rejected { .. }),
        "only one refund per payment: {err:?}"
    );
    let too_much = RefundRequest {
        confirmation_code: "nope".into(),
        ..refund
    };
    assert!(matches!(
        client.refund(&too_much).await,
        Err(GatewayError::Rejected { .. })
    ));

    let pending = client
        .start_checkout(&pesapal_checkout("INV-C-1", "50"))
        .await
        .unwrap();
    assert_eq!(
        client
            .cancel_order(&pending.gateway_reference)
            .await
            .unwrap(),
        "Order successfully cancelled."
    );
    assert!(matches!(
        client.cancel_order(&pending.gateway_reference).await,
        Err(GatewayError::Rejected { .. })
    ));
    assert!(matches!(
        client.cancel_order(&paid.gateway_reference).await,
        Err(GatewayError::Rejected { .. })
    ));
    let report = client
        .query_status(&query(&pending.gateway_reference))
        .await
        .unwrap();
    assert!(matches!(report.status, GatewayStatus::Failed { .. }));
    sim.stop().await;
}

#[tokio::test]
async fn hosted_page_pays_redirects_and_sends_a_get_ipn() {
    let sim = spawn_sim();
    let receiver = Receiver::spawn();
    let ipn_url = format!("{}/payments/pesapal/ipn", receiver.url);
    let client = pesapal_ready(&sim, &ipn_url, IpnNotificationType::Get).await;
    let mut request = pesapal_checkout("INV-PAGE-1", "120000.00");
    request.callback_url = Some(format!("{}/payments/pesapal/return", receiver.url));
    request.description = "Hosting <one year> & more".into();
    let checkout = client.start_checkout(&request).await.unwrap();

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(checkout.redirect_url().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("value=\"pay\"") && html.contains("value=\"fail\""),
        "{html}"
    );
    assert!(
        html.contains("Hosting &lt;one year&gt; &amp; more"),
        "description must be escaped"
    );
    assert!(html.contains("120,000.00"), "{html}");

    let answer = browser
        .post(checkout.redirect_url().unwrap())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("action=pay")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/payments/pesapal/return?", receiver.url)),
        "{location}"
    );
    assert!(location.contains(&format!("OrderTrackingId={}", checkout.gateway_reference)));
    assert!(location.contains("OrderMerchantReference=INV-PAGE-1"));

    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].method, "GET");
    let ipn = client
        .verify_notification(&IncomingNotification {
            method: NotificationMethod::Get,
            query: got[0].query.clone(),
            content_type: None,
            body: Vec::new(),
            path_token: None,
        })
        .await
        .unwrap();
    let Notification::Pesapal(ipn) = &ipn else {
        panic!()
    };
    assert_eq!(ipn.order_tracking_id, checkout.gateway_reference);
    assert_eq!(ipn.notification_type, PesapalNotificationType::IpnChange);
    let deliveries = sim
        .handle()
        .wait_for_deliveries(1, Duration::from_secs(2))
        .await;
    assert!(deliveries[0].acknowledged && deliveries[0].kind == DeliveryKind::PesapalIpn);
    // Paying again is refused: the order is final.
    let again = browser
        .post(checkout.redirect_url().unwrap())
        .body("action=fail")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    receiver.stop().await;
    sim.stop().await;
}

#[tokio::test]
async fn post_ipns_in_json_and_form_are_parsed_and_unacknowledged_ones_resent() {
    for encoding in [PostEncoding::Json, PostEncoding::Form] {
        let sim = Simulator::new(SimulatorConfig {
            pesapal_ipn_post_encoding: encoding,
            ..sim_config()
        })
        .spawn()
        .unwrap();
        let receiver = Receiver::spawn();
        *receiver.ack.lock().unwrap() = false;
        let client = pesapal_ready(
            &sim,
            &format!("{}/ipn", receiver.url),
            IpnNotificationType::Post,
        )
        .await;
        let checkout = client
            .start_checkout(&pesapal_checkout("INV-POST-1", "100"))
            .await
            .unwrap();
        sim.handle()
            .complete_pesapal_order(&checkout.gateway_reference)
            .unwrap();
        let got = receiver.wait_for(3).await;
        for r in &got {
            assert_eq!(r.method, "POST");
            let ipn = wetech_payments::pesapal::parse_ipn(
                NotificationMethod::Post,
                &r.query,
                r.content_type.as_deref(),
                &r.body,
            )
            .unwrap();
            assert_eq!(ipn.merchant_reference, "INV-POST-1");
        }
        let deliveries = sim
            .handle()
            .wait_for_deliveries(3, Duration::from_secs(2))
            .await;
        assert_eq!(
            deliveries.len(),
            3,
            "{encoding:?}: resent until the attempts run out"
        );
        assert!(deliveries.iter().all(|d| !d.acknowledged));
        receiver.stop().await;
        sim.stop().await;
    }
}

#[tokio::test]
async fn pesapal_paths_are_case_insensitive_and_sdk_only_calls_404() {
    let sim = spawn_sim();
    let http = reqwest::Client::new();
    let token = http
        .post(format!("{}/API/auth/requesttoken", sim.pesapal_base_url()))
        .json(&serde_json::json!({"consumer_key": "k", "consumer_secret": "s"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(token["status"], "200", "status is a string");
    assert!(token["expiryDate"].as_str().unwrap().ends_with('Z'));
    let list = http
        .get(format!(
            "{}/api/urlsetup/GETIPNLIST",
            sim.pesapal_base_url()
        ))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(list, "[]", "a bare array");
    let sdk = http
        .post(format!(
            "{}/api/transactions/expresscheckout",
            sim.pesapal_base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(sdk.status(), 404);
    sim.stop().await;
}

/// Pesapal accepts a cancellation once and answers a repeat with an error although the first
/// one worked: CancelOrder is never retried by the transport, and a second call for the same
/// order is not sent at all.
#[tokio::test]
async fn cancel_order_is_sent_at_most_once_per_order() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    let order = |reference: &'static str| {
        let client = client.clone();
        async move {
            client
                .start_checkout(&pesapal_checkout(reference, "50"))
                .await
                .unwrap()
                .gateway_reference
        }
    };
    let already_sent = |r: Result<String, GatewayError>| matches!(r, Err(GatewayError::Rejected { code, .. }) if code == "cancel_already_sent");

    // A 5xx is not retried, and the order is not cancelled again afterwards.
    let first = order("INV-CX-1").await;
    sim.handle().fail_next(Endpoint::PesapalCancel, 1, 503);
    let err = client.cancel_order(&first).await.unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable { .. }), "{err:?}");
    assert_eq!(sim.handle().calls(Endpoint::PesapalCancel), 1);
    assert!(already_sent(client.cancel_order(&first).await));
    assert_eq!(sim.handle().calls(Endpoint::PesapalCancel), 1);

    // A cancellation that worked but whose answer was lost (a timeout) is not repeated either,
    // from any clone of the client.
    let second = order("INV-CX-2").await;
    let mut config = pesapal_config(&sim);
    config.http.timeout = Duration::from_millis(300);
    let impatient = PesapalClient::new(config).unwrap();
    sim.handle().reset_calls();
    sim.handle()
        .delay_next(Endpoint::PesapalCancel, 1, Duration::from_millis(800));
    let err = impatient.cancel_order(&second).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(already_sent(impatient.clone().cancel_order(&second).await));
    assert_eq!(sim.handle().calls(Endpoint::PesapalCancel), 1);
    assert!(matches!(
        client.query_status(&query(&second)).await.unwrap().status,
        GatewayStatus::Failed { .. }
    ));

    // Another order is its own.
    let third = order("INV-CX-3").await;
    assert_eq!(
        client.cancel_order(&third).await.unwrap(),
        "Order successfully cancelled."
    );
    assert_eq!(sim.handle().calls(Endpoint::PesapalCancel), 2);
    sim.stop().await;
}

/// RefundRequest is not idempotent and Pesapal takes one refund per payment: a 5xx is not
/// retried by the transport, and a second refund of the same payment from this client is not
/// sent at all (docs/payments.md, "Refunds").
#[tokio::test]
async fn refund_request_is_sent_at_most_once_per_payment() {
    let sim = spawn_sim();
    let client = pesapal_ready(&sim, "http://127.0.0.1:9/ipn", IpnNotificationType::Get).await;
    let paid = client
        .start_checkout(&pesapal_checkout("INV-RX-1", "1000.00"))
        .await
        .unwrap();
    sim.handle()
        .complete_pesapal_order(&paid.gateway_reference)
        .unwrap();
    let GatewayStatus::Completed(d) = client
        .query_status(&query(&paid.gateway_reference))
        .await
        .unwrap()
        .status
    else {
        panic!()
    };
    let refund = RefundRequest {
        confirmation_code: d.confirmation_code.clone(),
        amount: tzs("1000.00"),
        username: "admin@wetech".into(),
        remarks: "paid twice".into(),
    };
    sim.handle().fail_next(Endpoint::PesapalRefund, 1, 503);
    let err = client.refund(&refund).await.unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable { .. }), "{err:?}");
    assert_eq!(sim.handle().calls(Endpoint::PesapalRefund), 1);
    let again = client.clone().refund(&refund).await;
    assert!(
        matches!(&again, Err(GatewayError::Rejected { code, .. }) if code == "refund_already_sent"),
        "{again:?}"
    );
    assert_eq!(
        sim.handle().calls(Endpoint::PesapalRefund),
        1,
        "not sent again"
    );
    sim.stop().await;
}

/// Only an error that proves nothing reached Pesapal leaves the cancellation unsent.
#[tokio::test]
async fn a_cancellation_that_never_left_may_be_sent_later() {
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let mut config = PesapalConfig::new(&format!("http://{addr}/pesapal"), "k", "s");
    config.http = quick();
    config.http.max_retries = 0;
    let client = PesapalClient::new(config).unwrap();
    for _ in 0..2 {
        let err = client.cancel_order("tracking-1").await.unwrap_err();
        assert!(
            matches!(
                err,
                GatewayError::Unavailable {
                    may_have_reached: false,
                    ..
                }
            ),
            "sent again, not refused as already sent: {err:?}"
        );
    }
}
