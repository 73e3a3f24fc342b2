//! [`AzamPayClient`]: token, checkouts, partners, status, the public key and callback
//! verification; each call built, sent with the right retry policy and its answer interpreted.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rsa::RsaPublicKey;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::callback::{Authenticity, AzamPayCallback, CallbackRejection, parse_callback};
use super::config::{AzamPayConfig, DEFAULT_PUBLIC_KEY_PATH};
use super::requests::{
    BankCheckout, BankProvider, CheckoutAccepted, MnoCheckout, PaymentPartner, normalize_msisdn,
};
use super::signature::{parse_public_key, tokens_match, verify_signature};
use super::wire;
use crate::error::{ErrorCause, GatewayError};
use crate::gateway::{
    CheckoutRequest, CheckoutResponse, Gateway, GatewayFuture, GatewayStatus, IncomingNotification,
    MobileProvider, NextStep, Notification, PaymentGateway, StatusQuery, StatusReport,
};
use crate::http::{
    Http, Idempotency, RawResponse, check_base, join, parse_answer, refused, unavailable,
};
use crate::lenient::json_number;
use crate::money::Money;
use crate::token::{TokenCache, parse_expiry};

const TOKEN_PATH: &str = "/AppRegistration/GenerateToken";
const MNO_CHECKOUT_PATH: &str = "/azampay/mno/checkout";
const BANK_CHECKOUT_PATH: &str = "/azampay/bank/checkout";
const PARTNERS_PATH: &str = "/api/v1/Partner/GetPaymentPartners";
/// UNCONFIRMED for collections (docs/payments.md); the simulator serves it.
const STATUS_PATH: &str = "/azampay/gettransactionstatus";
/// Largest amount of one checkout, in TZS (docs/payments.md).
pub const MAX_CHECKOUT_TZS: i64 = 5_000_000;
/// Longest `externalId`.
pub const MAX_EXTERNAL_ID: usize = 128;
/// Largest serialized `additionalProperties`.
pub const MAX_ADDITIONAL_PROPERTIES: usize = 4096;
/// A failed verification re-fetches the key at most this often.
const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

struct CachedKey {
    key: RsaPublicKey,
    fetched: Instant,
    /// When a failed verification last forced a fetch.
    forced: Option<Instant>,
}

/// AzamPay client. Cheap to clone (shared token and key caches).
#[derive(Clone)]
pub struct AzamPayClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    auth_base: String,
    checkout_base: String,
    app_name: String,
    client_id: SecretString,
    client_secret: SecretString,
    api_key: Option<SecretString>,
    callback_token: Option<SecretString>,
    require_signature: bool,
    public_key_url: String,
    pinned_key: Option<RsaPublicKey>,
    public_key_ttl: Duration,
    token: TokenCache,
    key: tokio::sync::Mutex<Option<CachedKey>>,
}

impl fmt::Debug for AzamPayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzamPayClient")
            .field("auth_base_url", &self.inner.auth_base)
            .field("checkout_base_url", &self.inner.checkout_base)
            .finish_non_exhaustive()
    }
}

/// Errors common to every AzamPay answer that is not a success.
fn error_for(resp: &RawResponse, what: &str) -> GatewayError {
    let s = resp.status;
    if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN || s == StatusCode::LOCKED {
        let message = serde_json::from_slice::<wire::Envelope<Value>>(&resp.body)
            .ok()
            .and_then(|e| e.message)
            .unwrap_or_else(|| resp.excerpt());
        return GatewayError::Unauthorized {
            code: format!("http_{}", s.as_u16()),
            message,
        };
    }
    if s == StatusCode::BAD_REQUEST
        && let Ok(p) = serde_json::from_slice::<wire::ProblemDetails>(&resp.body)
    {
        return GatewayError::Rejected {
            code: "validation_failed".into(),
            message: p.summary(),
        };
    }
    if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT
    {
        return unavailable(s);
    }
    if let Ok(e) = serde_json::from_slice::<wire::Envelope<Value>>(&resp.body)
        && let Some(message) = e.message
    {
        return GatewayError::Rejected {
            code: format!("http_{}", s.as_u16()),
            message,
        };
    }
    if s.is_client_error() {
        return refused(resp);
    }
    GatewayError::InvalidResponse(format!(
        "{what}: HTTP {} with body `{}`",
        s.as_u16(),
        resp.excerpt()
    ))
}

impl AzamPayClient {
    /// A client; nothing is sent until the first call.
    pub fn new(config: AzamPayConfig) -> Result<AzamPayClient, GatewayError> {
        let auth_base = check_base("AzamPay authenticator URL", &config.auth_base_url)?;
        let checkout_base = check_base("AzamPay checkout URL", &config.checkout_base_url)?;
        let public_key_url = match config.public_key_url.as_deref().map(str::trim) {
            None | Some("") => join(&checkout_base, DEFAULT_PUBLIC_KEY_PATH),
            Some(p) if p.starts_with('/') => join(&checkout_base, p),
            Some(u) => check_base("AzamPay public key URL", u)?,
        };
        let pinned_key = match config.public_key_pem.as_deref() {
            Some(pem) => Some(parse_public_key(pem).map_err(|_| {
                GatewayError::Config("AzamPay public_key_pem is not an RSA public key".into())
            })?),
            None => None,
        };
        if config.app_name.trim().is_empty() {
            return Err(GatewayError::Config("AzamPay app name is empty".into()));
        }
        Ok(AzamPayClient {
            inner: Arc::new(Inner {
                http: Http::new(&config.http)?,
                auth_base,
                checkout_base,
                app_name: config.app_name,
                client_id: config.client_id,
                client_secret: config.client_secret,
                api_key: config.api_key,
                callback_token: config.callback_token,
                require_signature: config.require_signature,
                public_key_url,
                pinned_key,
                public_key_ttl: config.public_key_ttl,
                token: TokenCache::default(),
                key: tokio::sync::Mutex::new(None),
            }),
        })
    }

    fn with_api_key(
        &self,
        req: reqwest_middleware::RequestBuilder,
    ) -> reqwest_middleware::RequestBuilder {
        match &self.inner.api_key {
            Some(k) => req.header("X-API-Key", k.expose_secret()),
            None => req,
        }
    }

    async fn fetch_token(
        &self,
    ) -> Result<(SecretString, Option<chrono::DateTime<chrono::Utc>>), GatewayError> {
        let inner = &self.inner;
        let body = wire::TokenRequest {
            app_name: &inner.app_name,
            client_id: inner.client_id.expose_secret(),
            client_secret: inner.client_secret.expose_secret(),
        };
        let req = self.with_api_key(
            inner
                .http
                .client(Idempotency::Idempotent)
                .post(join(&inner.auth_base, TOKEN_PATH))
                .header("Accept", "application/json")
                .json(&body),
        );
        let resp = inner
            .http
            .send(
                Gateway::AzamPay,
                "AppRegistration/GenerateToken",
                Idempotency::Idempotent,
                req,
            )
            .await?;
        if !resp.status.is_success() {
            return Err(match error_for(&resp, "GenerateToken") {
                GatewayError::Rejected { code, message } => {
                    GatewayError::Unauthorized { code, message }
                }
                other => other,
            });
        }
        let env: wire::Envelope<wire::TokenData> = parse_answer(&resp, "GenerateToken")?;
        match (env.success, env.data) {
            (
                Some(true) | None,
                Some(wire::TokenData {
                    access_token: Some(t),
                    expire,
                }),
            ) if !t.trim().is_empty() => Ok((
                SecretString::from(t),
                expire.as_deref().and_then(parse_expiry),
            )),
            _ => Err(GatewayError::Unauthorized {
                code: format!("status_{}", env.status_code.unwrap_or(0)),
                message: env.message.unwrap_or_default(),
            }),
        }
    }

    /// Sends an authenticated call, renewing the token once on HTTP 401.
    async fn authed<F>(
        &self,
        endpoint: &'static str,
        kind: Idempotency,
        build: F,
    ) -> Result<RawResponse, GatewayError>
    where
        F: Fn(&reqwest_middleware::ClientWithMiddleware) -> reqwest_middleware::RequestBuilder,
    {
        self.inner
            .http
            .send_authed(
                Gateway::AzamPay,
                endpoint,
                kind,
                &self.inner.token,
                || self.fetch_token(),
                |c| self.with_api_key(build(c)),
            )
            .await
    }

    fn checkout_answer(resp: &RawResponse, what: &str) -> Result<CheckoutAccepted, GatewayError> {
        if !resp.status.is_success() {
            return Err(error_for(resp, what));
        }
        let parsed: wire::CheckoutResponseWire = parse_answer(resp, what)?;
        if parsed.success == Some(false) {
            return Err(GatewayError::Rejected {
                code: "checkout_failed".into(),
                message: parsed.text(),
            });
        }
        match parsed.reference() {
            Some(transaction_id) => Ok(CheckoutAccepted {
                transaction_id,
                message: parsed.text(),
            }),
            None => Err(GatewayError::InvalidResponse(format!(
                "{what}: success without transactionId"
            ))),
        }
    }

    fn check_amount(amount: Money) -> Result<Box<serde_json::value::RawValue>, GatewayError> {
        if !Gateway::AzamPay.takes(amount.currency()) {
            return Err(GatewayError::InvalidRequest(
                "AzamPay supports TZS only".into(),
            ));
        }
        if amount.minor() <= 0 || amount.minor() > MAX_CHECKOUT_TZS * 100 {
            return Err(GatewayError::InvalidRequest(format!(
                "amount must be between 0 and {MAX_CHECKOUT_TZS} TZS"
            )));
        }
        json_number(amount.to_compact_decimal_string())
            .ok_or_else(|| GatewayError::InvalidRequest("amount cannot be written as JSON".into()))
    }

    fn check_extras(extra: Option<&Value>) -> Result<(), GatewayError> {
        if let Some(v) = extra
            && (!v.is_object() || v.to_string().len() > MAX_ADDITIONAL_PROPERTIES)
        {
            return Err(GatewayError::InvalidRequest(format!(
                "additionalProperties must be an object of at most {MAX_ADDITIONAL_PROPERTIES} bytes"
            )));
        }
        Ok(())
    }

    /// `POST /azampay/mno/checkout`: sends the USSD push. Sent once; re-sent only when the
    /// connection could not be opened.
    pub async fn mno_checkout(
        &self,
        checkout: &MnoCheckout,
    ) -> Result<CheckoutAccepted, GatewayError> {
        let account = normalize_msisdn(&checkout.account_number)?;
        let amount = Self::check_amount(checkout.amount)?;
        let external_id = checkout.external_id.trim();
        if external_id.is_empty() || external_id.chars().count() > MAX_EXTERNAL_ID {
            return Err(GatewayError::InvalidRequest(format!(
                "externalId must be 1-{MAX_EXTERNAL_ID} characters"
            )));
        }
        Self::check_extras(checkout.additional_properties.as_ref())?;
        let body = serde_json::to_vec(&wire::MnoCheckoutWire {
            account_number: &account,
            amount,
            currency: "TZS",
            external_id,
            provider: checkout.provider.as_str(),
            additional_properties: checkout.additional_properties.as_ref(),
        })
        .map_err(|e| GatewayError::InvalidRequest(format!("cannot encode checkout: {e}")))?;
        let url = join(&self.inner.checkout_base, MNO_CHECKOUT_PATH);
        let resp = self
            .authed("azampay/mno/checkout", Idempotency::Once, |c| {
                c.post(&url)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
            })
            .await?;
        Self::checkout_answer(&resp, "mno/checkout")
    }

    /// `POST /azampay/bank/checkout`.
    pub async fn bank_checkout(
        &self,
        checkout: &BankCheckout,
    ) -> Result<CheckoutAccepted, GatewayError> {
        let amount = Self::check_amount(checkout.amount)?;
        let otp = checkout.otp.expose_secret().trim();
        if otp.is_empty() || otp.len() > 32 {
            return Err(GatewayError::InvalidRequest("otp is required".into()));
        }
        if checkout.merchant_account_number.trim().is_empty()
            || checkout.merchant_account_number.len() > 100
        {
            return Err(GatewayError::InvalidRequest(
                "merchantAccountNumber must be 1-100 characters".into(),
            ));
        }
        if checkout.merchant_mobile_number.trim().is_empty()
            || checkout.merchant_mobile_number.len() > 100
        {
            return Err(GatewayError::InvalidRequest(
                "merchantMobileNumber must be 1-100 characters".into(),
            ));
        }
        if checkout
            .reference_id
            .as_deref()
            .is_some_and(|r| r.chars().count() > MAX_EXTERNAL_ID)
        {
            return Err(GatewayError::InvalidRequest(format!(
                "referenceId must be at most {MAX_EXTERNAL_ID} characters"
            )));
        }
        Self::check_extras(checkout.additional_properties.as_ref())?;
        let body = serde_json::to_vec(&wire::BankCheckoutWire {
            amount,
            currency_code: "TZS",
            merchant_account_number: checkout.merchant_account_number.trim(),
            merchant_mobile_number: checkout.merchant_mobile_number.trim(),
            merchant_name: checkout.merchant_name.as_deref(),
            otp,
            provider: match checkout.provider {
                BankProvider::Crdb => "CRDB",
                BankProvider::Nmb => "NMB",
            },
            reference_id: checkout.reference_id.as_deref(),
            additional_properties: checkout.additional_properties.as_ref(),
        })
        .map_err(|e| GatewayError::InvalidRequest(format!("cannot encode checkout: {e}")))?;
        let url = join(&self.inner.checkout_base, BANK_CHECKOUT_PATH);
        let resp = self
            .authed("azampay/bank/checkout", Idempotency::Once, |c| {
                c.post(&url)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
            })
            .await?;
        Self::checkout_answer(&resp, "bank/checkout")
    }

    /// `GET /api/v1/Partner/GetPaymentPartners` (a bare array).
    pub async fn payment_partners(&self) -> Result<Vec<PaymentPartner>, GatewayError> {
        let url = join(&self.inner.checkout_base, PARTNERS_PATH);
        let resp = self
            .authed("Partner/GetPaymentPartners", Idempotency::Idempotent, |c| {
                c.get(&url)
            })
            .await?;
        if !resp.status.is_success() {
            return Err(error_for(&resp, "GetPaymentPartners"));
        }
        let value: Value = parse_answer(&resp, "GetPaymentPartners")?;
        let Value::Array(items) = value else {
            let message = value
                .get("message")
                .and_then(crate::lenient::value_to_string)
                .unwrap_or_default();
            return Err(GatewayError::Rejected {
                code: "partners_error".into(),
                message,
            });
        };
        items
            .into_iter()
            .map(|v| {
                let w: wire::PartnerWire =
                    serde_json::from_value(v).map_err(|e| GatewayError::UnreadableAnswer {
                        what: "GetPaymentPartners item",
                        source: ErrorCause::new(e),
                    })?;
                let partner_name = w.partner_name.unwrap_or_default();
                Ok(PaymentPartner {
                    checkout_provider: MobileProvider::parse(&partner_name),
                    partner_name,
                    provider_code: w.provider,
                    vendor_name: w.vendor_name,
                    logo_url: w.logo_url,
                    payment_vendor_id: w.payment_vendor_id,
                    payment_partner_id: w.payment_partner_id,
                    currency: w.currency,
                })
            })
            .collect()
    }

    /// Status of a checkout. UNCONFIRMED endpoint (`GET {checkout}/azampay/gettransactionstatus
    /// ?pgReferenceId=…&bankName=…`, docs/payments.md). `data` is read as an object (our
    /// simulator) or a sentence (the community samples); a "not found" answer, a success that
    /// states no amount (`"Transaction successful."`) and any `data` this crate cannot read are
    /// reported as pending (the outcome is unknown: wait for the callback), never as an error.
    pub async fn transaction_status(
        &self,
        transaction_id: &str,
        provider: MobileProvider,
    ) -> Result<StatusReport, GatewayError> {
        let id = transaction_id.trim();
        if id.is_empty() || id.len() > 128 {
            return Err(GatewayError::InvalidRequest(
                "transaction id is empty or too long".into(),
            ));
        }
        let url = join(&self.inner.checkout_base, STATUS_PATH);
        let resp = self
            .authed(
                "azampay/gettransactionstatus",
                Idempotency::Idempotent,
                |c| {
                    c.get(&url)
                        .query(&[("pgReferenceId", id), ("bankName", provider.as_str())])
                },
            )
            .await?;
        let env: Option<wire::Envelope<Value>> = serde_json::from_slice(&resp.body).ok();
        let not_found = |e: &wire::Envelope<Value>| {
            e.status_code == Some(404)
                || e.message
                    .as_deref()
                    .is_some_and(|m| m.to_ascii_lowercase().contains("not found"))
        };
        let env = match env {
            Some(e) if e.success == Some(false) && not_found(&e) => {
                return Ok(StatusReport {
                    gateway_reference: id.to_owned(),
                    merchant_reference: None,
                    status: GatewayStatus::Pending,
                });
            }
            Some(e) if resp.status.is_success() && e.success != Some(false) => e,
            _ => return Err(error_for(&resp, "gettransactionstatus")),
        };
        let (status, merchant_reference) = wire::StatusData::of(env.data).into_status(provider);
        Ok(StatusReport {
            gateway_reference: id.to_owned(),
            merchant_reference,
            status,
        })
    }

    async fn fetch_key(&self) -> Result<RsaPublicKey, GatewayError> {
        let url = self.inner.public_key_url.clone();
        let resp = self
            .authed("azampay/public-key", Idempotency::Idempotent, |c| {
                c.get(&url)
            })
            .await?;
        if !resp.status.is_success() {
            return Err(error_for(&resp, "public-key"));
        }
        let text = String::from_utf8_lossy(&resp.body).into_owned();
        let key_text = match serde_json::from_str::<wire::PublicKeyWire>(&text) {
            Ok(w) => w
                .public_key
                .or_else(|| {
                    w.data
                        .as_ref()
                        .and_then(|d| d.get("publicKey"))
                        .and_then(crate::lenient::value_to_string)
                })
                .ok_or_else(|| {
                    GatewayError::InvalidResponse("public-key answer without publicKey".into())
                })?,
            Err(_) => match serde_json::from_str::<String>(&text) {
                Ok(s) => s,
                Err(_) => text,
            },
        };
        parse_public_key(&key_text)
    }

    /// The cached key (fetched when absent or older than its configured lifetime). `refresh` (after a failed
    /// verification) fetches again, at most once per 30 seconds, so forged callbacks cannot make
    /// us hammer AzamPay.
    async fn public_key(&self, refresh: bool) -> Result<(RsaPublicKey, bool), GatewayError> {
        if let Some(k) = &self.inner.pinned_key {
            return Ok((k.clone(), false));
        }
        let mut slot = self.inner.key.lock().await;
        let mut forced = None;
        if let Some(c) = slot.as_ref() {
            let recently_forced = c.forced.is_some_and(|f| f.elapsed() < KEY_REFETCH_INTERVAL);
            if c.fetched.elapsed() < self.inner.public_key_ttl && (!refresh || recently_forced) {
                return Ok((c.key.clone(), false));
            }
            forced = c.forced;
        }
        let key = self.fetch_key().await?;
        let now = Instant::now();
        *slot = Some(CachedKey {
            key: key.clone(),
            fetched: now,
            forced: if refresh { Some(now) } else { forced },
        });
        Ok((key, true))
    }

    /// Checks a callback: the path token (constant-time, when one is configured), then parses
    /// the body, then verifies the RSA signature when present (fetching AzamPay's key, and once
    /// more when verification fails against a cached one). Unsigned callbacks are refused when
    /// `require_signature` is set. See [`CallbackRejection`] for what each refusal means.
    pub async fn check_callback(
        &self,
        path_token: Option<&str>,
        body: &[u8],
    ) -> Result<AzamPayCallback, CallbackRejection> {
        if let Some(expected) = &self.inner.callback_token {
            let given = path_token.unwrap_or("");
            if given.is_empty() || !tokens_match(given, expected.expose_secret()) {
                return Err(CallbackRejection::Token);
            }
        }
        let mut callback = parse_callback(body).map_err(CallbackRejection::Malformed)?;
        let Some(signature) = callback.signature.clone() else {
            if self.inner.require_signature {
                return Err(CallbackRejection::Unsigned(Box::new(callback)));
            }
            callback.authenticity = Authenticity::Unsigned;
            return Ok(callback);
        };
        let message = callback.signed_text();
        let (key, fresh) = self
            .public_key(false)
            .await
            .map_err(CallbackRejection::KeyUnavailable)?;
        let mut ok = verify_signature(&key, message.as_bytes(), &signature);
        if !ok && !fresh && self.inner.pinned_key.is_none() {
            // The key may have been rotated since it was cached: fetch it once more.
            let (key, refetched) = self
                .public_key(true)
                .await
                .map_err(CallbackRejection::KeyUnavailable)?;
            if refetched {
                ok = verify_signature(&key, message.as_bytes(), &signature);
            }
        }
        if !ok {
            return Err(CallbackRejection::BadSignature(Box::new(callback)));
        }
        callback.authenticity = Authenticity::Signed;
        Ok(callback)
    }

    /// [`AzamPayClient::check_callback`] with its refusal as a [`GatewayError`]:
    /// [`GatewayError::InvalidSignature`] for token and signature problems,
    /// [`GatewayError::InvalidNotification`] for malformed bodies, and the fetch error when the
    /// key could not be obtained.
    pub async fn verify_callback(
        &self,
        path_token: Option<&str>,
        body: &[u8],
    ) -> Result<AzamPayCallback, GatewayError> {
        self.check_callback(path_token, body)
            .await
            .map_err(GatewayError::from)
    }
}

impl PaymentGateway for AzamPayClient {
    fn gateway(&self) -> Gateway {
        Gateway::AzamPay
    }

    fn start_checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> GatewayFuture<'a, CheckoutResponse> {
        Box::pin(async move {
            let provider = request.provider.ok_or_else(|| {
                GatewayError::InvalidRequest("AzamPay needs a mobile-money provider".into())
            })?;
            let phone = request.payer.phone.as_deref().ok_or_else(|| {
                GatewayError::InvalidRequest("AzamPay needs the payer's phone".into())
            })?;
            let accepted = self
                .mno_checkout(&MnoCheckout {
                    account_number: phone.to_owned(),
                    amount: request.amount,
                    external_id: request.merchant_reference.clone(),
                    provider,
                    additional_properties: None,
                })
                .await?;
            Ok(CheckoutResponse {
                gateway_reference: accepted.transaction_id,
                merchant_reference: request.merchant_reference.trim().to_owned(),
                next_step: NextStep::ApproveOnPhone {
                    message: accepted.message,
                },
            })
        })
    }

    fn query_status<'a>(&'a self, query: &'a StatusQuery) -> GatewayFuture<'a, StatusReport> {
        Box::pin(async move {
            let id = query.gateway_reference.as_deref().ok_or_else(|| {
                GatewayError::InvalidRequest("AzamPay status needs the transaction id".into())
            })?;
            let provider = query.provider.ok_or_else(|| {
                GatewayError::InvalidRequest("AzamPay status needs the provider".into())
            })?;
            self.transaction_status(id, provider).await
        })
    }

    fn verify_notification<'a>(
        &'a self,
        n: &'a IncomingNotification,
    ) -> GatewayFuture<'a, Notification> {
        Box::pin(async move {
            self.verify_callback(n.path_token.as_deref(), &n.body)
                .await
                .map(Notification::AzamPay)
        })
    }
}
