//! The AzamPay client against the simulator over real HTTP.

use std::time::Duration;

use secrecy::SecretString;
use wetech_gateway_sim::{
    DEV_PUBLIC_KEY_PEM, Endpoint, PushOutcome, Simulator, SimulatorConfig, StatusDataForm,
};
use wetech_payments::azampay::{
    Authenticity, AzamPayClient, BankCheckout, BankProvider, CallbackSchema, CallbackStatus,
    MnoCheckout,
};
use wetech_payments::{
    GatewayError, GatewayStatus, IncomingNotification, MobileProvider, Notification,
    NotificationMethod, PaymentGateway, StatusQuery,
};

use crate::helpers::{
    Receiver, azampay, azampay_checkout, azampay_config, money_of, sim_config, spawn_sim,
    status_query, tzs,
};

const TOKEN: &str = "callback-token-0123456789";

fn with_token(sim: &wetech_gateway_sim::RunningSimulator) -> AzamPayClient {
    let mut c = azampay_config(sim);
    c.callback_token = Some(SecretString::from(TOKEN));
    AzamPayClient::new(c).unwrap()
}

#[tokio::test]
async fn mno_checkout_normalises_the_phone_and_sends_exact_amounts() {
    let sim = spawn_sim();
    let client = azampay(&sim);
    let answer = client
        .start_checkout(&azampay_checkout("INV-A-1", "120000.00", "0712 345 678"))
        .await
        .unwrap();
    assert!(answer.redirect_url().is_none());
    let wetech_payments::NextStep::ApproveOnPhone { message } = &answer.next_step else {
        panic!()
    };
    assert!(message.contains("being processed"));
    let txn = sim
        .handle()
        .azampay_transaction(&answer.gateway_reference)
        .unwrap();
    assert_eq!(txn.msisdn, "255712345678");
    assert_eq!(money_of(txn.amount), tzs("120000"));
    assert_eq!(txn.provider, "Airtel");
    assert_eq!(txn.external_id, "INV-A-1");

    // additionalProperties is echoed; limits are checked before sending.
    let accepted = client
        .mno_checkout(&MnoCheckout {
            account_number: "+255 612 345 678".into(),
            amount: tzs("2000"),
            external_id: "INV-A-2".into(),
            provider: MobileProvider::Halopesa,
            additional_properties: Some(serde_json::json!({"invoice": "INV-2025-000001"})),
        })
        .await
        .unwrap();
    assert_eq!(accepted.transaction_id.len(), 32);
    let before = sim.handle().calls(Endpoint::AzamPayMnoCheckout);
    for bad in [
        azampay_checkout("INV-A-3", "5000000.01", "0712345678"),
        azampay_checkout("INV-A-3", "100", "0812345678"),
        azampay_checkout(&"X".repeat(129), "100", "0712345678"),
    ] {
        assert!(
            matches!(
                client.start_checkout(&bad).await,
                Err(GatewayError::InvalidRequest(_))
            ),
            "{bad:?}"
        );
    }
    let mut usd = azampay_checkout("INV-A-4", "100", "0712345678");
    usd.amount = wetech_payments::Money::new(100, wetech_payments::Currency::USD);
    assert!(matches!(
        client.start_checkout(&usd).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    let mut no_provider = azampay_checkout("INV-A-5", "100", "0712345678");
    no_provider.provider = None;
    assert!(matches!(
        client.start_checkout(&no_provider).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    assert_eq!(sim.handle().calls(Endpoint::AzamPayMnoCheckout), before);
    // A business refusal (duplicate externalId) is a rejection, not an outage.
    let err = client
        .start_checkout(&azampay_checkout("INV-A-1", "100", "0712345678"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Rejected { code, .. } if code == "checkout_failed"),
        "{err:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn bank_checkout_and_payment_partners() {
    let sim = spawn_sim();
    let client = azampay(&sim);
    let checkout = |otp: &str, reference: &str| BankCheckout {
        amount: tzs("15000"),
        merchant_account_number: "0150000000".into(),
        merchant_mobile_number: "255712345678".into(),
        merchant_name: Some("Asha".into()),
        otp: SecretString::from(otp),
        provider: BankProvider::Crdb,
        reference_id: Some(reference.into()),
        additional_properties: None,
    };
    let ok = client
        .bank_checkout(&checkout("123456", "INV-B-1"))
        .await
        .unwrap();
    assert_eq!(
        sim.handle()
            .azampay_transaction(&ok.transaction_id)
            .unwrap()
            .external_id,
        "INV-B-1"
    );
    let err = client
        .bank_checkout(&checkout("000000", "INV-B-2"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Rejected { message, .. } if message == "Invalid OTP"),
        "{err:?}"
    );
    assert!(
        !format!("{:?}", checkout("987654", "x")).contains("987654"),
        "OTP must not be printed"
    );

    let partners = client.payment_partners().await.unwrap();
    assert_eq!(partners.len(), 5);
    let mapped: Vec<_> = partners.iter().map(|p| p.checkout_provider).collect();
    for p in MobileProvider::ALL {
        assert!(mapped.contains(&Some(p)), "{p} missing from {partners:?}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn token_cached_by_expire_and_x_api_key_sent_when_configured() {
    let sim = Simulator::new(SimulatorConfig {
        azampay_api_key: Some("api-key-1".into()),
        azampay_credentials: Some((
            "wetech-test".into(),
            "client-id".into(),
            "client-secret".into(),
        )),
        ..sim_config()
    })
    .spawn()
    .unwrap();
    // Without the key the gateway refuses.
    let err = azampay(&sim).payment_partners().await.unwrap_err();
    assert!(matches!(err, GatewayError::Unauthorized { .. }), "{err:?}");
    let mut config = azampay_config(&sim);
    config.api_key = Some(SecretString::from("api-key-1"));
    let client = AzamPayClient::new(config.clone()).unwrap();
    sim.handle().reset_calls();
    client.payment_partners().await.unwrap();
    client.payment_partners().await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::AzamPayToken), 1);
    // Wrong client secret: HTTP 423 → unauthorized.
    config.client_secret = SecretString::from("wrong");
    let err = AzamPayClient::new(config)
        .unwrap()
        .payment_partners()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Unauthorized { code, message } if code == "http_423" && message.contains("not valid")),
        "{err:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn signed_callback_verifies_and_tampering_or_missing_signatures_are_refused() {
    let sim = spawn_sim();
    let client = with_token(&sim);
    let answer = client
        .start_checkout(&azampay_checkout("INV-S-1", "2000", "0712345678"))
        .await
        .unwrap();
    let body = sim
        .handle()
        .azampay_callback_body(&answer.gateway_reference, true)
        .unwrap();

    let good = client.verify_callback(Some(TOKEN), &body).await.unwrap();
    assert_eq!(good.authenticity, Authenticity::Signed);
    assert_eq!(good.schema, CallbackSchema::Current);
    assert_eq!(good.transaction_status, CallbackStatus::Success);
    assert_eq!(good.amount, tzs("2000"));
    assert_eq!(good.msisdn.as_deref(), Some("255712345678"));
    assert_eq!(sim.handle().calls(Endpoint::AzamPayPublicKey), 1);
    // The key is cached.
    client.verify_callback(Some(TOKEN), &body).await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::AzamPayPublicKey), 1);

    // Tampered: success claimed for a failed transaction's signature, or amount changed… the
    // signed fields are utilityref, externalreference, transactionstatus and operator.
    let failed_body = sim
        .handle()
        .azampay_callback_body(&answer.gateway_reference, false)
        .unwrap();
    let mut forged: serde_json::Value = serde_json::from_slice(&failed_body).unwrap();
    forged["transactionstatus"] = "success".into();
    let err = client
        .verify_callback(Some(TOKEN), forged.to_string().as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::InvalidSignature(_)), "{err:?}");
    let mut other_ref: serde_json::Value = serde_json::from_slice(&body).unwrap();
    other_ref["utilityref"] = "INV-S-2".into();
    assert!(matches!(
        client
            .verify_callback(Some(TOKEN), other_ref.to_string().as_bytes())
            .await,
        Err(GatewayError::InvalidSignature(_))
    ));
    let mut garbage: serde_json::Value = serde_json::from_slice(&body).unwrap();
    garbage["signature"] = "bm90IGEgc2lnbmF0dXJl".into();
    assert!(matches!(
        client
            .verify_callback(Some(TOKEN), garbage.to_string().as_bytes())
            .await,
        Err(GatewayError::InvalidSignature(_))
    ));

    // Missing signature: accepted as unsigned by default, refused when signatures are required.
    let mut unsigned: serde_json::Value = serde_json::from_slice(&body).unwrap();
    unsigned["signature"] = serde_json::Value::Null;
    let ok = client
        .verify_callback(Some(TOKEN), unsigned.to_string().as_bytes())
        .await
        .unwrap();
    assert_eq!(ok.authenticity, Authenticity::Unsigned);
    let mut strict = azampay_config(&sim);
    strict.callback_token = Some(SecretString::from(TOKEN));
    strict.require_signature = true;
    let strict = AzamPayClient::new(strict).unwrap();
    let err = strict
        .verify_callback(Some(TOKEN), unsigned.to_string().as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::InvalidSignature(_)), "{err:?}");
    assert!(strict.verify_callback(Some(TOKEN), &body).await.is_ok());

    // The path token is checked first, in constant time.
    for wrong in [
        None,
        Some(""),
        Some("callback-token-012345678"),
        Some("CALLBACK-TOKEN-0123456789"),
    ] {
        let err = client.verify_callback(wrong, &body).await.unwrap_err();
        assert!(
            matches!(err, GatewayError::InvalidSignature(_)),
            "{wrong:?}: {err:?}"
        );
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_failed_verification_refetches_the_key_once() {
    let sim = spawn_sim();
    let client = with_token(&sim);
    let answer = client
        .start_checkout(&azampay_checkout("INV-K-1", "2000", "0712345678"))
        .await
        .unwrap();
    let body = sim
        .handle()
        .azampay_callback_body(&answer.gateway_reference, true)
        .unwrap();
    client.verify_callback(Some(TOKEN), &body).await.unwrap();
    assert_eq!(sim.handle().calls(Endpoint::AzamPayPublicKey), 1);
    // A signature made with another key fails; the client fetches the key again once (in case
    // AzamPay rotated it), then refuses. A second bad callback soon after does not refetch.
    let other = include_str!("../fixtures/other_signing_key.pem");
    let forged = sign_with(other, &body);
    assert!(matches!(
        client.verify_callback(Some(TOKEN), &forged).await,
        Err(GatewayError::InvalidSignature(_))
    ));
    assert_eq!(sim.handle().calls(Endpoint::AzamPayPublicKey), 2);
    assert!(matches!(
        client.verify_callback(Some(TOKEN), &forged).await,
        Err(GatewayError::InvalidSignature(_))
    ));
    assert_eq!(sim.handle().calls(Endpoint::AzamPayPublicKey), 2);
    // Key endpoint down: a transient error, so the caller answers 5xx and AzamPay resends.
    let fresh = with_token(&sim);
    sim.handle().fail_next(Endpoint::AzamPayPublicKey, 4, 503);
    let err = fresh.verify_callback(Some(TOKEN), &body).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    sim.stop().await;
}

fn sign_with(private_pem: &str, body: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest as _;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(body).unwrap();
    let text = format!(
        "{}{}{}{}",
        v["utilityref"].as_str().unwrap(),
        v["externalreference"].as_str().unwrap(),
        v["transactionstatus"].as_str().unwrap(),
        v["operator"].as_str().unwrap()
    );
    let sig = key
        .sign(
            rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(text.as_bytes()),
        )
        .unwrap();
    v["signature"] = base64::engine::general_purpose::STANDARD.encode(sig).into();
    v.to_string().into_bytes()
}

#[tokio::test]
async fn key_location_and_format_are_configurable() {
    let sim = spawn_sim();
    let answer = azampay(&sim)
        .start_checkout(&azampay_checkout("INV-L-1", "2000", "0712345678"))
        .await
        .unwrap();
    let body = sim
        .handle()
        .azampay_callback_body(&answer.gateway_reference, true)
        .unwrap();
    // .NET XML form on the checkout host.
    let mut xml = azampay_config(&sim);
    xml.public_key_url = Some("/azampay/v1/public-key?format=Xml".into());
    AzamPayClient::new(xml)
        .unwrap()
        .verify_callback(None, &body)
        .await
        .unwrap();
    // The third-party-reported location on the authenticator host, as an absolute URL.
    let mut alt = azampay_config(&sim);
    alt.public_key_url = Some(format!(
        "{}/api/Token/PublicKey",
        sim.azampay_auth_base_url()
    ));
    AzamPayClient::new(alt)
        .unwrap()
        .verify_callback(None, &body)
        .await
        .unwrap();
    // A pinned key: nothing fetched.
    sim.handle().reset_calls();
    let mut pinned = azampay_config(&sim);
    pinned.public_key_pem = Some(DEV_PUBLIC_KEY_PEM.into());
    let pinned = AzamPayClient::new(pinned).unwrap();
    assert_eq!(
        pinned
            .verify_callback(None, &body)
            .await
            .unwrap()
            .authenticity,
        Authenticity::Signed
    );
    assert_eq!(sim.handle().calls(Endpoint::AzamPayPublicKey), 0);
    let mut bad = azampay_config(&sim);
    bad.public_key_pem = Some("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----".into());
    assert!(matches!(
        AzamPayClient::new(bad),
        Err(GatewayError::Config(_))
    ));
    sim.stop().await;
}

#[tokio::test]
async fn approved_push_delivers_a_signed_callback_that_verifies() {
    let receiver = Receiver::spawn();
    let sim = Simulator::new(SimulatorConfig {
        azampay_callback_url: Some(format!(
            "{}/payments/azampay/callback/{TOKEN}",
            receiver.url
        )),
        azampay_push: PushOutcome::Approve {
            after: Duration::from_millis(50),
        },
        ..sim_config()
    })
    .spawn()
    .unwrap();
    let client = with_token(&sim);
    let answer = client
        .start_checkout(&azampay_checkout("INV-P-1", "120000", "255712345678"))
        .await
        .unwrap();
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].path, format!("/payments/azampay/callback/{TOKEN}"));
    let token = got[0].path.rsplit('/').next().map(str::to_owned);
    let n = client
        .verify_notification(&IncomingNotification {
            method: NotificationMethod::Post,
            query: String::new(),
            content_type: got[0].content_type.clone(),
            body: got[0].body.clone(),
            path_token: token,
        })
        .await
        .unwrap();
    assert_eq!(n.merchant_reference(), "INV-P-1");
    assert_eq!(
        n.gateway_reference(),
        Some(answer.gateway_reference.as_str())
    );
    assert!(!n.needs_status_query());
    let Some(GatewayStatus::Completed(d)) = n.reported_status() else {
        panic!("{n:?}")
    };
    assert_eq!(d.amount, tzs("120000"));
    assert_eq!(d.method, "Airtel");
    let Notification::AzamPay(cb) = n else {
        panic!()
    };
    assert_eq!(cb.authenticity, Authenticity::Signed);
    receiver.stop().await;
    sim.stop().await;
}

#[tokio::test]
async fn declined_push_and_legacy_failed_callbacks() {
    let receiver = Receiver::spawn();
    let sim = Simulator::new(SimulatorConfig {
        azampay_callback_url: Some(format!("{}/cb", receiver.url)),
        azampay_callback_schema: wetech_gateway_sim::CallbackSchema::Legacy,
        azampay_failure_word: "Failed".into(),
        ..sim_config()
    })
    .spawn()
    .unwrap();
    let client = azampay(&sim);
    let answer = client
        .start_checkout(&azampay_checkout("INV-F-1", "5000", "0712345678"))
        .await
        .unwrap();
    // Manual push: nothing happens until the "phone" answers.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(receiver.requests().is_empty());
    let phone = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = phone
        .get(format!("{}/_simulator/azampay/phone", sim.origin()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&answer.gateway_reference) && page.contains("Decline"),
        "{page}"
    );
    let r = phone
        .post(format!(
            "{}/_simulator/azampay/phone/{}",
            sim.origin(),
            answer.gateway_reference
        ))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("action=decline")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let got = receiver.wait_for(1).await;
    let cb = client.verify_callback(None, &got[0].body).await.unwrap();
    assert_eq!(cb.schema, CallbackSchema::Legacy);
    assert_eq!(cb.transaction_status, CallbackStatus::Failure);
    assert_eq!(cb.raw_transaction_status, "Failed");
    assert_eq!(cb.authenticity, Authenticity::Unsigned);
    assert!(matches!(cb.status(), GatewayStatus::Failed { .. }));
    assert_eq!(
        sim.handle().approve_azampay(&answer.gateway_reference),
        Err(wetech_gateway_sim::SimulatorError::WrongState(
            answer.gateway_reference.clone()
        ))
    );
    receiver.stop().await;
    sim.stop().await;
}

#[tokio::test]
async fn status_query_reports_pending_success_and_failure() {
    let sim = spawn_sim();
    let client = azampay(&sim);
    let a = client
        .start_checkout(&azampay_checkout("INV-Q-1", "3000", "0712345678"))
        .await
        .unwrap();
    let q = |id: &str| StatusQuery {
        merchant_reference: String::new(),
        gateway_reference: Some(id.to_owned()),
        provider: Some(MobileProvider::Airtel),
    };
    assert_eq!(
        client
            .query_status(&q(&a.gateway_reference))
            .await
            .unwrap()
            .status,
        GatewayStatus::Pending
    );
    sim.handle().approve_azampay(&a.gateway_reference).unwrap();
    let report = client.query_status(&q(&a.gateway_reference)).await.unwrap();
    let GatewayStatus::Completed(d) = report.status else {
        panic!("{report:?}")
    };
    assert_eq!(d.amount, tzs("3000"));
    assert_eq!(report.merchant_reference.as_deref(), Some("INV-Q-1"));
    let b = client
        .start_checkout(&azampay_checkout("INV-Q-2", "3000", "0712345678"))
        .await
        .unwrap();
    sim.handle().fail_azampay(&b.gateway_reference).unwrap();
    assert!(matches!(
        client
            .query_status(&q(&b.gateway_reference))
            .await
            .unwrap()
            .status,
        GatewayStatus::Failed { .. }
    ));
    // Unknown transaction: "not found" is pending, not failed.
    assert_eq!(
        client
            .query_status(&q("ffffffffffffffffffffffffffffffff"))
            .await
            .unwrap()
            .status,
        GatewayStatus::Pending
    );
    let no_provider = StatusQuery {
        provider: None,
        ..q(&a.gateway_reference)
    };
    assert!(matches!(
        client.query_status(&no_provider).await,
        Err(GatewayError::InvalidRequest(_))
    ));
    sim.stop().await;
}

/// The community samples show the status answer's `data` as a sentence. A "successful" sentence
/// states no amount, so it cannot settle: it is pending (wait for the callback), not an error
/// that would hide the attempt; a failure sentence fails it.
#[tokio::test]
async fn status_query_answered_with_a_sentence_is_pending_or_failed_never_an_error() {
    let sim = Simulator::new(SimulatorConfig {
        azampay_status_data: StatusDataForm::Sentence,
        ..sim_config()
    })
    .spawn()
    .unwrap();
    let client = azampay(&sim);
    let status_after = |reference: &'static str, approve: bool| {
        let (client, handle) = (client.clone(), sim.handle());
        async move {
            let push = client
                .start_checkout(&azampay_checkout(reference, "3000", "0712345678"))
                .await
                .unwrap();
            let id = push.gateway_reference;
            if approve {
                handle.approve_azampay(&id).unwrap();
            } else {
                handle.fail_azampay(&id).unwrap();
            }
            let q = status_query(&id, Some(MobileProvider::Airtel));
            (id, client.query_status(&q).await.unwrap())
        }
    };
    let (id, report) = status_after("INV-QS-1", true).await;
    assert_eq!(report.status, GatewayStatus::Pending, "{report:?}");
    assert_eq!(report.gateway_reference, id);

    let (_, report) = status_after("INV-QS-2", false).await;
    assert!(
        matches!(&report.status, GatewayStatus::Failed { reason } if reason == "Transaction failed"),
        "{report:?}"
    );
    sim.stop().await;
}
