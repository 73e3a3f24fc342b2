//! Settings turn into working client configurations, per mode.

use secrecy::ExposeSecret;
use wetech_payments::settings::SIMULATOR_CALLBACK_TOKEN;
use wetech_payments::{
    AzamPayClient, AzamPayConfig, PaymentsMode, PaymentsSettings, PesapalClient, PesapalConfig,
};

#[tokio::test]
async fn simulator_mode_needs_no_credentials_and_reaches_the_simulator() {
    let sim = crate::helpers::spawn_sim();
    let settings: PaymentsSettings =
        serde_json::from_str(r#"{"mode":"simulator","timeout_ms":3000}"#).unwrap();
    settings.validate().unwrap();
    let p = PesapalConfig::from_settings(&settings, PaymentsMode::Simulator, sim.origin()).unwrap();
    assert_eq!(p.base_url, sim.pesapal_base_url());
    assert_eq!(p.http.timeout, std::time::Duration::from_secs(3));
    PesapalClient::new(p).unwrap().ipn_list().await.unwrap();
    let a = AzamPayConfig::from_settings(&settings, PaymentsMode::Simulator, sim.origin()).unwrap();
    assert_eq!(
        a.callback_token.as_ref().unwrap().expose_secret(),
        SIMULATOR_CALLBACK_TOKEN
    );
    AzamPayClient::new(a)
        .unwrap()
        .payment_partners()
        .await
        .unwrap();
    sim.stop().await;
}

#[test]
fn live_mode_names_what_is_missing() {
    let settings: PaymentsSettings =
        serde_json::from_str(r#"{"mode":"live","pesapal":{"consumer_key":"k"}}"#).unwrap();
    let err = PesapalConfig::from_settings(&settings, PaymentsMode::Live, "http://x").unwrap_err();
    assert_eq!(err.key(), "payments.pesapal.consumer_secret");
    let err = AzamPayConfig::from_settings(&settings, PaymentsMode::Live, "http://x").unwrap_err();
    assert_eq!(err.key(), "payments.azampay.app_name");
    let full: PaymentsSettings = serde_json::from_str(
        r#"{"mode":"live","pesapal":{"consumer_key":"k","consumer_secret":"s","ipn_id":"abc"},
            "azampay":{"app_name":"a","client_id":"c","client_secret":"s","callback_token":"0123456789abcdef"}}"#,
    )
    .unwrap();
    let p = PesapalConfig::from_settings(&full, PaymentsMode::Live, "http://x").unwrap();
    assert_eq!(p.base_url, "https://pay.pesapal.com/v3");
    assert_eq!(p.ipn_id.as_deref(), Some("abc"));
    assert!(!format!("{p:?}").contains("\"s\""));
    let a = AzamPayConfig::from_settings(&full, PaymentsMode::Live, "http://x").unwrap();
    assert_eq!(a.checkout_base_url, "https://checkout.azampay.co.tz");
    assert_eq!(a.auth_base_url, "https://authenticator.azampay.co.tz");
    assert!(!format!("{a:?}").contains("0123456789abcdef"));
}
