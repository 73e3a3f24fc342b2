//! [`PesapalClient`]: builds each call, sends it with the right retry policy and interprets
//! the answer.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, RwLock};

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use super::config::{IpnNotificationType, PesapalConfig};
use super::ipn::parse_ipn;
use super::requests::{
    BillingAddress, IpnRegistration, RedirectMode, RefundRequest, SubmitOrder, SubmittedOrder,
};
use super::wire::{self, ErrorObject, status_ok};
use crate::error::{ErrorCause, GatewayError};
use crate::gateway::{
    CheckoutRequest, CheckoutResponse, Gateway, GatewayFuture, IncomingNotification, NextStep,
    Notification, PaymentGateway, StatusQuery, StatusReport,
};
use crate::http::{Http, Idempotency, RawResponse, check_base, join, parse_answer, unavailable};
use crate::lenient::json_number;
use crate::token::{TokenCache, parse_expiry};

const TOKEN_PATH: &str = "/api/Auth/RequestToken";
const REGISTER_IPN_PATH: &str = "/api/URLSetup/RegisterIPN";
const IPN_LIST_PATH: &str = "/api/URLSetup/GetIpnList";
const SUBMIT_ORDER_PATH: &str = "/api/Transactions/SubmitOrderRequest";
const STATUS_PATH: &str = "/api/Transactions/GetTransactionStatus";
const REFUND_PATH: &str = "/api/Transactions/RefundRequest";
const CANCEL_PATH: &str = "/api/Transactions/CancelOrder";

/// Longest merchant reference (`id`) Pesapal accepts.
pub const MAX_MERCHANT_REFERENCE: usize = 50;
/// Longest order description Pesapal accepts; longer descriptions are cut.
pub const MAX_DESCRIPTION: usize = 100;

/// Pesapal API 3.0 client. Cheap to clone (shared token cache).
#[derive(Clone)]
pub struct PesapalClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    base: String,
    consumer_key: SecretString,
    consumer_secret: SecretString,
    token: TokenCache,
    ipn_id: RwLock<Option<String>>,
    ipn_url: Option<(String, IpnNotificationType)>,
    ipn_setup: tokio::sync::Mutex<()>,
    /// Orders a CancelOrder was sent for (see [`PesapalClient::cancel_order`]).
    cancels_sent: std::sync::Mutex<HashSet<String>>,
    /// Confirmation codes a RefundRequest was sent for (see [`PesapalClient::refund`]).
    refunds_sent: std::sync::Mutex<HashSet<String>>,
}

impl fmt::Debug for PesapalClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PesapalClient")
            .field("base_url", &self.inner.base)
            .finish_non_exhaustive()
    }
}

/// The answer's HTTP-level error, before its body is read. A 403 or an HTML page comes from the
/// CDN in front of Pesapal blocking us (docs/payments.md), not from Pesapal judging our
/// credentials: the gateway is unavailable (503 to the customer), and the safe calls were
/// already retried on it by the transport. Only a 401 is a refusal of the credentials.
fn http_error(resp: &RawResponse) -> Option<GatewayError> {
    let s = resp.status;
    if let Some(e) = edge_blocked(resp) {
        return Some(e);
    }
    if s == StatusCode::UNAUTHORIZED {
        return Some(GatewayError::Unauthorized {
            code: format!("http_{}", s.as_u16()),
            message: resp.excerpt(),
        });
    }
    None
}

/// The error for a CDN's block or error page (see [`http_error`]).
fn edge_blocked(resp: &RawResponse) -> Option<GatewayError> {
    resp.is_edge_block().then(|| GatewayError::Unavailable {
        http_status: Some(resp.status.as_u16()),
        may_have_reached: true,
    })
}

fn valid_reference(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_MERCHANT_REFERENCE
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

fn valid_url(u: &str) -> bool {
    url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl PesapalClient {
    /// A client; nothing is sent until the first call.
    pub fn new(config: PesapalConfig) -> Result<PesapalClient, GatewayError> {
        let base = check_base("Pesapal base URL", &config.base_url)?;
        let ipn_url = match config.ipn_url {
            Some(u) if valid_url(&u) => Some((u, config.ipn_notification_type)),
            Some(_) => {
                return Err(GatewayError::Config(
                    "Pesapal IPN URL is not an absolute http(s) URL".into(),
                ));
            }
            None => None,
        };
        Ok(PesapalClient {
            inner: Arc::new(Inner {
                http: Http::behind_blocking_edge(&config.http)?,
                base,
                consumer_key: config.consumer_key,
                consumer_secret: config.consumer_secret,
                token: TokenCache::default(),
                ipn_id: RwLock::new(config.ipn_id.filter(|s| !s.trim().is_empty())),
                ipn_url,
                ipn_setup: tokio::sync::Mutex::new(()),
                cancels_sent: std::sync::Mutex::default(),
                refunds_sent: std::sync::Mutex::default(),
            }),
        })
    }

    /// The IPN id used for orders, once known.
    #[must_use]
    pub fn ipn_id(&self) -> Option<String> {
        self.inner
            .ipn_id
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Sets the IPN id used for orders (e.g. one kept in a database).
    pub fn set_ipn_id(&self, ipn_id: &str) {
        *self
            .inner
            .ipn_id
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ipn_id.to_owned());
    }

    async fn fetch_token(
        &self,
    ) -> Result<(SecretString, Option<chrono::DateTime<chrono::Utc>>), GatewayError> {
        let inner = &self.inner;
        let body = wire::TokenRequest {
            consumer_key: inner.consumer_key.expose_secret(),
            consumer_secret: inner.consumer_secret.expose_secret(),
        };
        let req = inner
            .http
            .client(Idempotency::Idempotent)
            .post(join(&inner.base, TOKEN_PATH))
            .header("Accept", "application/json")
            .json(&body);
        let resp = inner
            .http
            .send(
                Gateway::Pesapal,
                "Auth/RequestToken",
                Idempotency::Idempotent,
                req,
            )
            .await?;
        if let Some(e) = edge_blocked(&resp) {
            return Err(e);
        }
        let parsed: wire::TokenResponse = match parse_answer(&resp, "RequestToken") {
            Ok(p) => p,
            Err(e) => return Err(http_error(&resp).unwrap_or(e)),
        };
        if let Some(token) = parsed.token.filter(|t| !t.trim().is_empty())
            && status_ok(parsed.status.as_deref())
            && resp.status.is_success()
        {
            return Ok((
                SecretString::from(token),
                parsed.expiry_date.as_deref().and_then(parse_expiry),
            ));
        }
        let error = ErrorObject::from_value(parsed.error.as_ref());
        if resp.status.is_server_error() && error.is_none() {
            return Err(unavailable(resp.status));
        }
        let e = error.unwrap_or(ErrorObject {
            error_type: None,
            code: Some(format!(
                "status_{}",
                parsed.status.as_deref().unwrap_or("unknown")
            )),
            message: parsed.message,
        });
        Err(GatewayError::Unauthorized {
            code: e.code(),
            message: e.message(),
        })
    }

    /// Sends an authenticated call; on HTTP 401 the token is renewed and the call sent once more
    /// (a 401 means the gateway did nothing).
    async fn authed<F>(
        &self,
        endpoint: &'static str,
        kind: Idempotency,
        build: F,
    ) -> Result<RawResponse, GatewayError>
    where
        F: Fn(&reqwest_middleware::ClientWithMiddleware) -> reqwest_middleware::RequestBuilder,
    {
        let resp = self
            .inner
            .http
            .send_authed(
                Gateway::Pesapal,
                endpoint,
                kind,
                &self.inner.token,
                || self.fetch_token(),
                build,
            )
            .await?;
        match http_error(&resp) {
            Some(e) => Err(e),
            None => Ok(resp),
        }
    }

    /// `GET URLSetup/GetIpnList`: every registered IPN URL (a bare JSON array).
    pub async fn ipn_list(&self) -> Result<Vec<IpnRegistration>, GatewayError> {
        let url = join(&self.inner.base, IPN_LIST_PATH);
        let resp = self
            .authed("URLSetup/GetIpnList", Idempotency::Idempotent, |c| {
                c.get(&url)
            })
            .await?;
        let value: serde_json::Value = parse_answer(&resp, "GetIpnList")?;
        match value {
            serde_json::Value::Array(items) => items
                .into_iter()
                .map(|v| {
                    serde_json::from_value::<wire::IpnWire>(v)
                        .map_err(|e| GatewayError::UnreadableAnswer {
                            what: "GetIpnList item",
                            source: ErrorCause::new(e),
                        })
                        .and_then(wire::IpnWire::into_registration)
                })
                .collect(),
            other => {
                let error = ErrorObject::from_value(other.get("error"));
                Err(match error {
                    Some(e) => e.into_error(),
                    None if resp.status.is_server_error() => unavailable(resp.status),
                    None => GatewayError::InvalidResponse(
                        "GetIpnList did not return an array".to_owned(),
                    ),
                })
            }
        }
    }

    /// `POST URLSetup/RegisterIPN`. Registering the same URL twice may create a duplicate;
    /// prefer [`PesapalClient::find_or_register_ipn`].
    pub async fn register_ipn(
        &self,
        url: &str,
        kind: IpnNotificationType,
    ) -> Result<IpnRegistration, GatewayError> {
        if !valid_url(url) {
            return Err(GatewayError::InvalidRequest(
                "IPN URL must be an absolute http(s) URL".into(),
            ));
        }
        let endpoint = join(&self.inner.base, REGISTER_IPN_PATH);
        let body = wire::RegisterIpnRequest {
            url,
            ipn_notification_type: kind.as_str(),
        };
        // Registering twice is harmless (find-or-register looks first), so it may be retried.
        let resp = self
            .authed("URLSetup/RegisterIPN", Idempotency::Idempotent, |c| {
                c.post(&endpoint).json(&body)
            })
            .await?;
        let w: wire::IpnWire = parse_answer(&resp, "RegisterIPN")?;
        if !status_ok(w.status.as_deref()) || ErrorObject::from_value(w.error.as_ref()).is_some() {
            return Err(match ErrorObject::from_value(w.error.as_ref()) {
                Some(e) => e.into_error(),
                None => GatewayError::Rejected {
                    code: format!("status_{}", w.status.as_deref().unwrap_or("")),
                    message: w.message.clone().unwrap_or_default(),
                },
            });
        }
        w.into_registration()
    }

    /// Looks `url` up with GetIpnList and registers it when absent; remembers the id for orders.
    pub async fn find_or_register_ipn(
        &self,
        url: &str,
        kind: IpnNotificationType,
    ) -> Result<IpnRegistration, GatewayError> {
        let found = self
            .ipn_list()
            .await?
            .into_iter()
            .filter(|r| r.url.trim_end_matches('/') == url.trim_end_matches('/'))
            .filter(|r| r.active != Some(false))
            .find(|r| r.notification_type.is_none_or(|t| t == kind));
        let registration = match found {
            Some(r) => r,
            None => self.register_ipn(url, kind).await?,
        };
        self.set_ipn_id(&registration.ipn_id);
        Ok(registration)
    }

    async fn ensure_ipn_id(&self) -> Result<String, GatewayError> {
        if let Some(id) = self.ipn_id() {
            return Ok(id);
        }
        let Some((url, kind)) = self.inner.ipn_url.clone() else {
            return Err(GatewayError::Config(
                "no Pesapal IPN id configured and no IPN URL to register".into(),
            ));
        };
        let _guard = self.inner.ipn_setup.lock().await;
        if let Some(id) = self.ipn_id() {
            return Ok(id);
        }
        Ok(self.find_or_register_ipn(&url, kind).await?.ipn_id)
    }

    /// `POST Transactions/SubmitOrderRequest`. Sent once; re-sent only when the connection could
    /// not be opened.
    pub async fn submit_order(&self, order: &SubmitOrder) -> Result<SubmittedOrder, GatewayError> {
        let id = order.id.trim();
        if !valid_reference(id) {
            return Err(GatewayError::InvalidRequest(format!(
                "merchant reference must be 1-{MAX_MERCHANT_REFERENCE} characters of A-Z a-z 0-9 - _ . :"
            )));
        }
        if order.amount.minor() <= 0 {
            return Err(GatewayError::InvalidRequest(
                "amount must be positive".into(),
            ));
        }
        let description: String = order
            .description
            .trim()
            .chars()
            .take(MAX_DESCRIPTION)
            .collect();
        if description.is_empty() {
            return Err(GatewayError::InvalidRequest(
                "description must not be empty".into(),
            ));
        }
        if !valid_url(&order.callback_url) {
            return Err(GatewayError::InvalidRequest(
                "callback URL must be an absolute http(s) URL".into(),
            ));
        }
        let b = &order.billing_address;
        if opt(&b.email_address).is_none() && opt(&b.phone_number).is_none() {
            return Err(GatewayError::InvalidRequest(
                "billing address needs an e-mail address or a phone number".into(),
            ));
        }
        let notification_id = match opt(&order.notification_id) {
            Some(n) => n.to_owned(),
            None => self.ensure_ipn_id().await?,
        };
        let amount = json_number(order.amount.to_decimal_string()).ok_or_else(|| {
            GatewayError::InvalidRequest("amount cannot be written as JSON".into())
        })?;
        let wire_order = wire::SubmitOrderWire {
            id,
            currency: order.amount.currency().code(),
            amount,
            description: &description,
            redirect_mode: order.redirect_mode.map(|m| match m {
                RedirectMode::TopWindow => "TOP_WINDOW",
                RedirectMode::ParentWindow => "PARENT_WINDOW",
            }),
            callback_url: &order.callback_url,
            cancellation_url: opt(&order.cancellation_url),
            notification_id: &notification_id,
            branch: opt(&order.branch),
            billing_address: wire::BillingAddressWire {
                email_address: opt(&b.email_address),
                phone_number: opt(&b.phone_number),
                country_code: opt(&b.country_code),
                first_name: opt(&b.first_name),
                middle_name: opt(&b.middle_name),
                last_name: opt(&b.last_name),
                line_1: opt(&b.line_1),
                line_2: opt(&b.line_2),
                city: opt(&b.city),
                state: opt(&b.state),
                postal_code: opt(&b.postal_code),
                zip_code: opt(&b.zip_code),
            },
            account_number: opt(&order.account_number),
            subscription_details: order.subscription_details.as_ref().map(|s| {
                wire::SubscriptionWire {
                    start_date: &s.start_date,
                    end_date: &s.end_date,
                    frequency: s.frequency.as_str(),
                }
            }),
        };
        let body = serde_json::to_vec(&wire_order)
            .map_err(|e| GatewayError::InvalidRequest(format!("cannot encode order: {e}")))?;
        let endpoint = join(&self.inner.base, SUBMIT_ORDER_PATH);
        let resp = self
            .authed("Transactions/SubmitOrderRequest", Idempotency::Once, |c| {
                c.post(&endpoint)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
            })
            .await?;
        let parsed: wire::SubmitOrderResponse = parse_answer(&resp, "SubmitOrderRequest")?;
        let error = ErrorObject::from_value(parsed.error.as_ref());
        if !status_ok(parsed.status.as_deref()) || error.is_some() {
            return Err(match error {
                Some(e) => e.into_error(),
                None if resp.status.is_server_error() => unavailable(resp.status),
                None => GatewayError::Rejected {
                    code: format!("status_{}", parsed.status.as_deref().unwrap_or("")),
                    message: parsed.message.unwrap_or_default(),
                },
            });
        }
        match (parsed.order_tracking_id, parsed.redirect_url) {
            (Some(t), Some(r)) if !t.trim().is_empty() && !r.trim().is_empty() => {
                Ok(SubmittedOrder {
                    order_tracking_id: t,
                    merchant_reference: parsed.merchant_reference.unwrap_or_else(|| id.to_owned()),
                    redirect_url: r,
                })
            }
            _ => Err(GatewayError::InvalidResponse(
                "SubmitOrderRequest answer without order_tracking_id or redirect_url".to_owned(),
            )),
        }
    }

    /// `GET Transactions/GetTransactionStatus?orderTrackingId=…`, mapped to a [`StatusReport`]
    /// (the "pending looks like an error" answer is [`crate::GatewayStatus::Pending`]).
    pub async fn transaction_status(
        &self,
        order_tracking_id: &str,
    ) -> Result<StatusReport, GatewayError> {
        let id = order_tracking_id.trim();
        if id.is_empty() || id.len() > 100 {
            return Err(GatewayError::InvalidRequest(
                "order tracking id is empty or too long".into(),
            ));
        }
        let endpoint = join(&self.inner.base, STATUS_PATH);
        let resp = self
            .authed(
                "Transactions/GetTransactionStatus",
                Idempotency::Idempotent,
                |c| c.get(&endpoint).query(&[("orderTrackingId", id)]),
            )
            .await?;
        let parsed: wire::TransactionStatusWire = parse_answer(&resp, "GetTransactionStatus")?;
        parsed.into_report(id)
    }

    /// `POST Transactions/RefundRequest`. `Ok` means queued for the merchant's approval (not
    /// paid out yet); the message is Pesapal's. Pesapal takes one refund per payment and the
    /// call is not idempotent (docs/payments.md, "Refunds"), so, as with
    /// [`PesapalClient::cancel_order`], it is sent at most once per confirmation code by this
    /// client: never retried by the transport, and a second call for a payment whose refund may
    /// have reached Pesapal is refused here, unsent, as [`GatewayError::Rejected`] with code
    /// `refund_already_sent`. Only an error that proves nothing reached Pesapal lets a later
    /// call send it. Pesapal's own refusal (`"status": "500"`) is [`GatewayError::Rejected`]
    /// with code `status_500` and Pesapal's message.
    pub async fn refund(&self, refund: &RefundRequest) -> Result<String, GatewayError> {
        let code = refund.confirmation_code.trim();
        if code.is_empty() || code.len() > 100 || refund.amount.minor() <= 0 {
            return Err(GatewayError::InvalidRequest(
                "refund needs a confirmation code and a positive amount".into(),
            ));
        }
        if !sent_once(&self.inner.refunds_sent).insert(code.to_owned()) {
            return Err(GatewayError::Rejected {
                code: "refund_already_sent".into(),
                message: "a refund was already requested for this payment".into(),
            });
        }
        let body = wire::RefundWire {
            confirmation_code: code,
            amount: refund.amount.to_decimal_string(),
            username: &refund.username,
            remarks: &refund.remarks,
        };
        let endpoint = join(&self.inner.base, REFUND_PATH);
        let result = self
            .authed("Transactions/RefundRequest", Idempotency::Once, |c| {
                c.post(&endpoint).json(&body)
            })
            .await
            .and_then(|resp| simple_answer(&resp, "RefundRequest"));
        forget_unsent(&self.inner.refunds_sent, code, &result);
        result
    }

    /// `POST Transactions/CancelOrder` (pending or failed orders only). Pesapal accepts a
    /// cancellation once and answers a repeat with an error although the first one worked
    /// (docs/payments.md), so it is sent at most once per order by this client: never retried
    /// by the transport, and a second call for an order whose cancellation may have reached
    /// Pesapal is refused here, unsent, as [`GatewayError::Rejected`] with code
    /// `cancel_already_sent` (ask [`PesapalClient::transaction_status`] what became of it).
    /// Only an error that proves nothing reached Pesapal (connection refused, no token) lets a
    /// later call send it.
    ///
    /// No use case of this workspace cancels orders today; the guard lives in the client so
    /// that whoever does cannot cancel twice from one process.
    pub async fn cancel_order(&self, order_tracking_id: &str) -> Result<String, GatewayError> {
        let id = order_tracking_id.trim();
        if id.is_empty() || id.len() > 100 {
            return Err(GatewayError::InvalidRequest(
                "order tracking id is empty or too long".into(),
            ));
        }
        if !sent_once(&self.inner.cancels_sent).insert(id.to_owned()) {
            return Err(GatewayError::Rejected {
                code: "cancel_already_sent".into(),
                message: "a cancellation was already sent for this order; query its status".into(),
            });
        }
        let body = wire::CancelWire {
            order_tracking_id: id,
        };
        let endpoint = join(&self.inner.base, CANCEL_PATH);
        let result = self
            .authed("Transactions/CancelOrder", Idempotency::Once, |c| {
                c.post(&endpoint).json(&body)
            })
            .await
            .and_then(|resp| simple_answer(&resp, "CancelOrder"));
        forget_unsent(&self.inner.cancels_sent, id, &result);
        result
    }
}

/// The keys a call that is sent at most once was sent for.
fn sent_once(
    set: &std::sync::Mutex<HashSet<String>>,
) -> std::sync::MutexGuard<'_, HashSet<String>> {
    set.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes `key` out of `set` again when `result` proves the call never reached the gateway (so a
/// later call may send it); a refusal by the gateway or an unknown outcome keeps it.
fn forget_unsent<T>(
    set: &std::sync::Mutex<HashSet<String>>,
    key: &str,
    result: &Result<T, GatewayError>,
) {
    if let Err(e) = result
        && !e.may_have_reached_gateway()
        && !matches!(e, GatewayError::Rejected { .. })
    {
        sent_once(set).remove(key);
    }
}

fn simple_answer(resp: &RawResponse, what: &str) -> Result<String, GatewayError> {
    let parsed: wire::SimpleResponse = parse_answer(resp, what)?;
    let message = parsed.message.clone().unwrap_or_default();
    if status_ok(parsed.status.as_deref())
        && ErrorObject::from_value(parsed.error.as_ref()).is_none()
    {
        return Ok(message);
    }
    Err(match ErrorObject::from_value(parsed.error.as_ref()) {
        Some(e) => e.into_error(),
        None => GatewayError::Rejected {
            code: format!("status_{}", parsed.status.as_deref().unwrap_or("")),
            message,
        },
    })
}

impl PaymentGateway for PesapalClient {
    fn gateway(&self) -> Gateway {
        Gateway::Pesapal
    }

    fn start_checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> GatewayFuture<'a, CheckoutResponse> {
        Box::pin(async move {
            let callback_url = request.callback_url.clone().ok_or_else(|| {
                GatewayError::InvalidRequest("Pesapal needs a callback URL".into())
            })?;
            let p = &request.payer;
            let mut order = SubmitOrder::new(
                &request.merchant_reference,
                request.amount,
                &request.description,
                &callback_url,
                BillingAddress {
                    email_address: p.email.clone(),
                    phone_number: p.phone.clone(),
                    country_code: p.country_code.clone(),
                    first_name: p.first_name.clone(),
                    last_name: p.last_name.clone(),
                    ..BillingAddress::default()
                },
            );
            order.cancellation_url.clone_from(&request.cancellation_url);
            let submitted = self.submit_order(&order).await?;
            Ok(CheckoutResponse {
                gateway_reference: submitted.order_tracking_id,
                merchant_reference: submitted.merchant_reference,
                next_step: NextStep::Redirect {
                    url: submitted.redirect_url,
                },
            })
        })
    }

    fn query_status<'a>(&'a self, query: &'a StatusQuery) -> GatewayFuture<'a, StatusReport> {
        Box::pin(async move {
            let id = query.gateway_reference.as_deref().ok_or_else(|| {
                GatewayError::InvalidRequest("Pesapal status needs the order tracking id".into())
            })?;
            self.transaction_status(id).await
        })
    }

    fn verify_notification<'a>(
        &'a self,
        n: &'a IncomingNotification,
    ) -> GatewayFuture<'a, Notification> {
        Box::pin(async move {
            parse_ipn(n.method, &n.query, n.content_type.as_deref(), &n.body)
                .map(Notification::Pesapal)
        })
    }
}
