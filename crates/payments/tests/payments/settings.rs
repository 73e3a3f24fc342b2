//! Settings turn into working client configurations, per set of hosts.

use wetech_payments::{
    AzamPayClient, AzamPayConfig, GatewayHosts, GatewayUrls, PaymentsSettings, PesapalClient,
    PesapalConfig,
};

#[tokio::test]
async fn base_urls_given_by_the_composition_reach_the_simulator() {
    let sim = crate::helpers::spawn_sim();
    let settings: PaymentsSettings = serde_json::from_str(
        r#"{"timeout_ms":3000,
            "pesapal":{"consumer_key":"k","consumer_secret":"s"},
            "azampay":{"app_name":"a","client_id":"c","client_secret":"s","callback_token":"0123456789abcdef"}}"#,
    )
    .unwrap();
    settings.validate_shape().unwrap();
    let urls = GatewayUrls {
        pesapal: sim.pesapal_base_url(),
        azampay_auth: sim.azampay_auth_base_url(),
        azampay_checkout: sim.azampay_checkout_base_url(),
    };
    let p = PesapalConfig::from_settings(&settings, &urls).unwrap();
    assert_eq!(p.base_url, sim.pesapal_base_url());
    assert_eq!(p.http.timeout, std::time::Duration::from_secs(3));
    PesapalClient::new(p).unwrap().ipn_list().await.unwrap();
    let a = AzamPayConfig::from_settings(&settings, &urls).unwrap();
    assert_eq!(a.checkout_base_url, sim.azampay_checkout_base_url());
    AzamPayClient::new(a)
        .unwrap()
        .payment_partners()
        .await
        .unwrap();
    sim.stop().await;
}

#[test]
fn live_hosts_name_what_is_missing() {
    let live = GatewayUrls::hosted(GatewayHosts::Live);
    let settings: PaymentsSettings =
        serde_json::from_str(r#"{"mode":"live","pesapal":{"consumer_key":"k"}}"#).unwrap();
    let err = PesapalConfig::from_settings(&settings, &live).unwrap_err();
    assert_eq!(err.key(), "payments.pesapal.consumer_secret");
    let err = AzamPayConfig::from_settings(&settings, &live).unwrap_err();
    assert_eq!(err.key(), "payments.azampay.app_name");
    let full: PaymentsSettings = serde_json::from_str(
        r#"{"mode":"live","pesapal":{"consumer_key":"k","consumer_secret":"s","ipn_id":"abc"},
            "azampay":{"app_name":"a","client_id":"c","client_secret":"s","callback_token":"0123456789abcdef"}}"#,
    )
    .unwrap();
    let p = PesapalConfig::from_settings(&full, &live).unwrap();
    assert_eq!(p.base_url, "https://pay.pesapal.com/v3");
    assert_eq!(p.ipn_id.as_deref(), Some("abc"));
    assert!(!format!("{p:?}").contains("\"s\""));
    let a = AzamPayConfig::from_settings(&full, &live).unwrap();
    assert_eq!(a.checkout_base_url, "https://checkout.azampay.co.tz");
    assert_eq!(a.auth_base_url, "https://authenticator.azampay.co.tz");
    assert!(!format!("{a:?}").contains("0123456789abcdef"));
}

/// The public key's lifetime is a setting: one hour by default, bounded both ways, and the
/// client configuration carries it.
#[test]
fn the_public_key_lifetime_is_a_bounded_setting_defaulting_to_an_hour() {
    let urls = GatewayUrls::hosted(GatewayHosts::Sandbox);
    let with = |ttl: &str| -> PaymentsSettings {
        serde_json::from_str(&format!(
            r#"{{"azampay":{{"app_name":"a","client_id":"c","client_secret":"s",
                "callback_token":"0123456789abcdef"{ttl}}}}}"#
        ))
        .unwrap()
    };
    let default = with("");
    default.validate_shape().unwrap();
    let a = AzamPayConfig::from_settings(&default, &urls).unwrap();
    assert_eq!(a.public_key_ttl, std::time::Duration::from_secs(3600));
    assert_eq!(
        a.public_key_ttl,
        wetech_payments::azampay::DEFAULT_PUBLIC_KEY_TTL
    );
    let short = with(r#","public_key_ttl_secs":600"#);
    short.validate_shape().unwrap();
    let a = AzamPayConfig::from_settings(&short, &urls).unwrap();
    assert_eq!(a.public_key_ttl, std::time::Duration::from_secs(600));
    for bad in ["0", "59", "86401"] {
        let err = with(&format!(r#","public_key_ttl_secs":{bad}"#))
            .validate_shape()
            .unwrap_err();
        assert_eq!(err.key(), "payments.azampay.public_key_ttl_secs", "{bad}");
    }
}
