//! Simulated Pesapal API 3.0: token, IPN registration, orders, status, refunds, cancellation,
//! the hosted payment page and IPN delivery.

mod wire;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode as Http;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::amount::Amount;
use crate::config::PostEncoding;
use crate::faults::Endpoint;
use crate::handle::{Delivery, DeliveryKind, OrderView, SimulatorError};
use crate::html::{escape, language, page};
use crate::state::{State, lock, route_tail, spawn};
use crate::text::{number, number_digits, scalar_text};

#[derive(Clone, Copy, PartialEq, Eq)]
enum IpnKind {
    Get,
    Post,
}

struct IpnReg {
    id: i64,
    url: String,
    created: DateTime<Utc>,
    ipn_id: String,
    kind: IpnKind,
}

#[derive(Clone)]
enum OrderState {
    Pending,
    Completed {
        method: String,
        code: String,
        account: String,
    },
    Failed {
        description: String,
        code: String,
    },
    Reversed {
        method: String,
        code: String,
        account: String,
    },
}

struct Order {
    tracking_id: String,
    merchant_reference: String,
    amount: Amount,
    description: String,
    callback_url: String,
    cancellation_url: Option<String>,
    ipn_id: String,
    state: OrderState,
    created: DateTime<Utc>,
    /// The amount of the one refund requested for it, once requested.
    refund: Option<Amount>,
    cancelled: bool,
}

#[derive(Default)]
pub(crate) struct PesapalState {
    tokens: HashMap<String, Instant>,
    ipns: Vec<IpnReg>,
    orders: HashMap<String, Order>,
}

fn status_word(s: &OrderState) -> &'static str {
    match s {
        OrderState::Pending => "PENDING",
        OrderState::Completed { .. } => "COMPLETED",
        OrderState::Failed { .. } => "FAILED",
        OrderState::Reversed { .. } => "REVERSED",
    }
}

impl PesapalState {
    pub(crate) fn view(&self, id: &str) -> Option<OrderView> {
        self.orders.get(id).map(|o| OrderView {
            order_tracking_id: o.tracking_id.clone(),
            merchant_reference: o.merchant_reference.clone(),
            amount: o.amount,
            status: status_word(&o.state),
            refund_requested: o.refund,
        })
    }

    pub(crate) fn views(&self) -> Vec<OrderView> {
        let mut v: Vec<OrderView> = self.orders.keys().filter_map(|k| self.view(k)).collect();
        v.sort_by(|a, b| a.merchant_reference.cmp(&b.merchant_reference));
        v
    }
}

/// `2024-03-18T16:25:45.7793772Z`: UTC with seven fractional digits.
fn utc7(dt: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        dt.format("%Y-%m-%dT%H:%M:%S"),
        dt.timestamp_subsec_nanos() / 100
    )
}

/// `2024-03-18T18:25:46.75`: East Africa Time, no zone, two fractional digits.
fn eat(dt: DateTime<Utc>) -> String {
    let local = dt + chrono::Duration::hours(3);
    format!(
        "{}.{:02}",
        local.format("%Y-%m-%dT%H:%M:%S"),
        local.timestamp_subsec_nanos() / 10_000_000
    )
}

fn json_response(status: Http, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .insert_header(("X-AspNet-Version", "4.0.30319"))
        .insert_header(("X-Powered-By", "ASP.NET"))
        .body(body)
}

fn ok(v: &Value) -> HttpResponse {
    json_response(Http::OK, v.to_string())
}

fn api_error(code: &str, message: &str) -> HttpResponse {
    ok(&json!({
        "error": {"error_type": "api_error", "code": code, "message": message},
        "status": "500",
    }))
}

fn unauthorized() -> HttpResponse {
    json_response(
        Http::UNAUTHORIZED,
        json!({"error": {"error_type": "api_error", "code": "invalid_token", "message": "Unauthorized"}, "status": "401"})
            .to_string(),
    )
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get("Authorization")?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn authorized(state: &State, req: &HttpRequest) -> bool {
    let Some(token) = bearer(req) else {
        return false;
    };
    let p = lock(&state.pesapal);
    p.tokens
        .get(&token)
        .is_some_and(|exp| Instant::now() < *exp)
}

fn query_value(req: &HttpRequest, key: &str) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.into_owned())
}

/// Every Pesapal route; paths are matched case-insensitively like the real IIS server.
pub(crate) async fn dispatch(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<State>,
) -> HttpResponse {
    let tail = route_tail(&req);
    let method = req.method().as_str().to_owned();
    let state = state.into_inner();
    let endpoint = match (method.as_str(), tail.as_str()) {
        ("POST", "api/auth/requesttoken") => Endpoint::PesapalToken,
        ("POST", "api/urlsetup/registeripn") => Endpoint::PesapalRegisterIpn,
        ("GET", "api/urlsetup/getipnlist") => Endpoint::PesapalIpnList,
        ("POST", "api/transactions/submitorderrequest") => Endpoint::PesapalSubmitOrder,
        ("GET", "api/transactions/gettransactionstatus") => Endpoint::PesapalStatus,
        ("POST", "api/transactions/refundrequest") => Endpoint::PesapalRefund,
        ("POST", "api/transactions/cancelorder") => Endpoint::PesapalCancel,
        ("GET", "pesapaliframe/pesapaliframe3/index") => return payment_page(&req, &state),
        ("POST", "pesapaliframe/pesapaliframe3/index") => {
            return payment_action(&req, &body, &state);
        }
        _ => {
            return json_response(
                Http::NOT_FOUND,
                json!({"error": {"error_type": "api_error", "code": "not_found", "message": "Not found"}, "status": "404"})
                    .to_string(),
            );
        }
    };
    if let Some(faulted) = state.arrive(endpoint).await {
        return faulted;
    }
    if endpoint == Endpoint::PesapalToken {
        return request_token(&state, &body);
    }
    if !authorized(&state, &req) {
        return unauthorized();
    }
    let not_an_object = || api_error("invalid_request", "Request body must be a JSON object");
    match endpoint {
        Endpoint::PesapalRegisterIpn => match object(&body) {
            Some(r) => register_ipn(&state, &r),
            None => not_an_object(),
        },
        Endpoint::PesapalIpnList => ipn_list(&state),
        Endpoint::PesapalSubmitOrder => submit_order(&state, &req, &body),
        Endpoint::PesapalStatus => transaction_status(&state, &req),
        Endpoint::PesapalRefund => match object(&body) {
            Some(r) => refund(&state, &r),
            None => not_an_object(),
        },
        Endpoint::PesapalCancel => match object(&body) {
            Some(r) => cancel(&state, &r),
            None => not_an_object(),
        },
        _ => api_error("not_found", "Not found"),
    }
}

/// A request body that is a JSON object, read as `T`; `None` for anything else.
fn object<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
        _ => None,
    }
}

fn request_token(state: &Arc<State>, body: &[u8]) -> HttpResponse {
    let (key, secret) = match object::<wire::TokenRequest>(body) {
        Some(r) => (r.consumer_key, r.consumer_secret),
        None => (String::new(), String::new()),
    };
    let config = state.config();
    // Plain comparison: the simulator's credentials are development placeholders.
    let valid = match &config.pesapal_credentials {
        Some((k, s)) => *k == key && *s == secret,
        None => !key.is_empty() && !secret.is_empty(),
    };
    if !valid {
        // One public test fake answers bad credentials with HTTP 200; the body is authoritative.
        return ok(&json!({
            "token": null, "expiryDate": null,
            "error": {"error_type": "api_error", "code": "invalid_consumer_key_or_secret_provided", "message": ""},
            "status": "500", "message": ""
        }));
    }
    let token = format!("sim-pesapal-{}", uuid::Uuid::new_v4().simple());
    let lifetime = config.token_lifetime;
    let expiry = Utc::now()
        + chrono::Duration::from_std(lifetime).unwrap_or_else(|_| chrono::Duration::seconds(300));
    lock(&state.pesapal)
        .tokens
        .insert(token.clone(), Instant::now() + lifetime);
    ok(&json!({
        "token": token,
        "expiryDate": utc7(expiry),
        "error": null,
        "status": "200",
        "message": "Request processed successfully"
    }))
}

fn register_ipn(state: &Arc<State>, r: &wire::RegisterIpnRequest) -> HttpResponse {
    let url = r.url.clone();
    let kind = match r.ipn_notification_type.to_ascii_uppercase().as_str() {
        "GET" => IpnKind::Get,
        "POST" => IpnKind::Post,
        _ => {
            return api_error(
                "invalid_ipn_notification_type",
                "ipn_notification_type must be GET or POST",
            );
        }
    };
    if url::Url::parse(&url)
        .map(|u| !matches!(u.scheme(), "http" | "https"))
        .unwrap_or(true)
    {
        return api_error("invalid_ipn_url", "url must be an absolute http(s) URL");
    }
    let mut p = lock(&state.pesapal);
    let id = 4278 + i64::try_from(p.ipns.len()).unwrap_or(0);
    let reg = IpnReg {
        id,
        url,
        created: Utc::now(),
        ipn_id: uuid::Uuid::new_v4().to_string(),
        kind,
    };
    let body = json!({
        "id": reg.id,
        "url": reg.url,
        "created_date": utc7(reg.created),
        "ipn_id": reg.ipn_id,
        "notification_type": if kind == IpnKind::Get { 0 } else { 1 },
        "ipn_notification_type_description": if kind == IpnKind::Get { "GET" } else { "POST" },
        "ipn_status": 1,
        "ipn_status_decription": "Active",
        "error": null,
        "status": "200"
    });
    p.ipns.push(reg);
    ok(&body)
}

fn ipn_list(state: &Arc<State>) -> HttpResponse {
    let p = lock(&state.pesapal);
    let items: Vec<Value> = p
        .ipns
        .iter()
        .map(|r| json!({"url": r.url, "created_date": utc7(r.created), "ipn_id": r.ipn_id, "error": null, "status": "200"}))
        .collect();
    ok(&Value::Array(items))
}

fn order_error(reference: &str, code: &str, message: &str) -> HttpResponse {
    ok(&json!({
        "order_tracking_id": null, "merchant_reference": reference, "redirect_url": null,
        "error": {"error_type": "api_error", "code": code, "message": message},
        "status": "500"
    }))
}

fn submit_order(state: &Arc<State>, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let Some(o) = object::<wire::SubmitOrderRequest>(body) else {
        return order_error("", "invalid_request", "Request body must be a JSON object");
    };
    let id = o.id;
    if id.is_empty() || id.chars().count() > 50 {
        return order_error(
            &id,
            "invalid_merchant_reference",
            "id is required and must be at most 50 characters",
        );
    }
    if !Amount::knows_currency(&o.currency) {
        return order_error(&id, "invalid_currency", "currency must be an ISO 4217 code");
    }
    let amount = match o.amount.as_deref() {
        Some(raw) if !raw.get().trim_start().starts_with('"') => {
            match number_digits(raw).and_then(|digits| Amount::parse(&digits, &o.currency)) {
                Some(m) if m.minor() > 0 => m,
                _ => {
                    return order_error(
                        &id,
                        "invalid_amount",
                        "amount must be a positive number exact to the currency",
                    );
                }
            }
        }
        _ => return order_error(&id, "invalid_amount", "amount must be a JSON number"),
    };
    let description = o.description;
    if description.is_empty() || description.chars().count() > 100 {
        return order_error(
            &id,
            "invalid_description",
            "description is required and must be at most 100 characters",
        );
    }
    let callback_url = o.callback_url;
    if url::Url::parse(&callback_url).is_err() {
        return order_error(
            &id,
            "invalid_callback_url",
            "callback_url must be an absolute URL",
        );
    }
    if let Some(mode) = o.redirect_mode.as_ref().and_then(scalar_text)
        && mode != "TOP_WINDOW"
        && mode != "PARENT_WINDOW"
    {
        return order_error(
            &id,
            "invalid_redirect_mode",
            "redirect_mode must be TOP_WINDOW or PARENT_WINDOW",
        );
    }
    let billing: wire::BillingAddress = o
        .billing_address
        .and_then(|b| serde_json::from_value(b).ok())
        .unwrap_or_default();
    if billing.email_address.is_empty() && billing.phone_number.is_empty() {
        return order_error(
            &id,
            "invalid_billing_address",
            "billing_address needs email_address or phone_number",
        );
    }
    let ipn_id = o.notification_id;
    let mut p = lock(&state.pesapal);
    if !p.ipns.iter().any(|r| r.ipn_id == ipn_id) {
        return order_error(
            &id,
            "invalid_notification_id",
            "notification_id is not a registered IPN",
        );
    }
    if p.orders.values().any(|o| o.merchant_reference == id) {
        return order_error(
            &id,
            "duplicate_merchant_reference",
            "An order with this id already exists",
        );
    }
    let tracking_id = uuid::Uuid::new_v4().to_string();
    let cancellation_url = Some(o.cancellation_url).filter(|s| !s.is_empty());
    p.orders.insert(
        tracking_id.clone(),
        Order {
            tracking_id: tracking_id.clone(),
            merchant_reference: id.clone(),
            amount,
            description,
            callback_url,
            cancellation_url,
            ipn_id,
            state: OrderState::Pending,
            created: Utc::now(),
            refund: None,
            cancelled: false,
        },
    );
    drop(p);
    let redirect_url = format!(
        "{}/_simulator/pesapal/pesapaliframe/PesapalIframe3/Index?OrderTrackingId={tracking_id}",
        state.origin(req)
    );
    ok(&json!({
        "order_tracking_id": tracking_id, "merchant_reference": id, "redirect_url": redirect_url,
        "error": null, "status": "200"
    }))
}

fn transaction_status(state: &Arc<State>, req: &HttpRequest) -> HttpResponse {
    let id = query_value(req, "orderTrackingId").unwrap_or_default();
    let p = lock(&state.pesapal);
    let Some(o) = p.orders.get(id.trim()) else {
        return ok(&json!({
            "error": {"error_type": "api_error", "code": "invalid_order_tracking_id",
                      "message": "Invalid order tracking id", "call_back_url": null},
            "status": "500"
        }));
    };
    let call_back_url = format!(
        "{}{}OrderTrackingId={}&OrderMerchantReference={}",
        o.callback_url,
        if o.callback_url.contains('?') {
            '&'
        } else {
            '?'
        },
        o.tracking_id,
        o.merchant_reference
    );
    let null_error =
        json!({"error_type": null, "code": null, "message": null, "call_back_url": null});
    let Some(amount) = number(o.amount.to_decimal_string()) else {
        return api_error("internal_error", "amount");
    };
    let mut out = wire::TransactionStatus {
        payment_method: String::new(),
        amount,
        created_date: eat(o.created),
        confirmation_code: String::new(),
        order_tracking_id: o.tracking_id.clone(),
        payment_status_description: "INVALID",
        description: None,
        message: "Request processed successfully",
        payment_account: String::new(),
        call_back_url: call_back_url.clone(),
        status_code: 0,
        merchant_reference: o.merchant_reference.clone(),
        payment_status_code: String::new(),
        currency: o.amount.currency(),
        error: null_error,
        status: "200",
    };
    match &o.state {
        OrderState::Pending => {
            // The trap: not yet paid looks like an error.
            out.status = "500";
            out.error = json!({"error_type": "api_error", "code": "payment_details_not_found",
                               "message": "Pending Payment", "call_back_url": call_back_url});
        }
        OrderState::Completed {
            method,
            code,
            account,
        } => {
            out.payment_status_description = "Completed";
            out.status_code = 1;
            out.payment_method.clone_from(method);
            out.confirmation_code.clone_from(code);
            out.payment_account.clone_from(account);
            out.description = Some("Payment completed successfully".to_owned());
        }
        OrderState::Failed { description, code } => {
            out.payment_status_description = "Failed";
            out.status_code = 2;
            out.description = Some(description.clone());
            out.payment_status_code.clone_from(code);
        }
        OrderState::Reversed {
            method,
            code,
            account,
        } => {
            out.payment_status_description = "Reversed";
            out.status_code = 3;
            out.payment_method.clone_from(method);
            out.confirmation_code.clone_from(code);
            out.payment_account.clone_from(account);
            out.description = Some("Payment reversed".to_owned());
        }
    }
    match serde_json::to_string(&out) {
        Ok(s) => json_response(Http::OK, s),
        Err(_) => api_error("internal_error", "serialization"),
    }
}

fn simple(status: &str, message: &str) -> HttpResponse {
    ok(&json!({"status": status, "message": message}))
}

fn refund(state: &Arc<State>, r: &wire::RefundRequest) -> HttpResponse {
    let code = r.confirmation_code.as_str();
    if r.username.is_empty() || r.remarks.is_empty() {
        return simple("500", "username and remarks are required");
    }
    let mut p = lock(&state.pesapal);
    let Some(o) = p.orders.values_mut().find(|o| matches!(&o.state, OrderState::Completed { code: c, .. } if *c == code && !code.is_empty())) else {
        return simple("500", "No completed payment with this confirmation code");
    };
    if o.refund.is_some() {
        return simple(
            "500",
            "A refund has already been requested for this payment",
        );
    }
    let Some(amount) = Amount::parse(&r.amount, o.amount.currency()) else {
        return simple("500", "Invalid amount");
    };
    if amount.minor() <= 0 || amount.minor() > o.amount.minor() {
        return simple("500", "Refund amount cannot exceed the amount collected");
    }
    let is_card = matches!(&o.state, OrderState::Completed { method, .. } if method.eq_ignore_ascii_case("visa") || method.eq_ignore_ascii_case("mastercard"));
    if !is_card && amount.minor() != o.amount.minor() {
        return simple("500", "Mobile money payments can only be refunded in full");
    }
    o.refund = Some(amount);
    simple("200", "Refund request successfully")
}

fn cancel(state: &Arc<State>, r: &wire::CancelOrderRequest) -> HttpResponse {
    let mut p = lock(&state.pesapal);
    let Some(o) = p.orders.get_mut(&r.order_tracking_id) else {
        return simple("500", "Order not found");
    };
    if o.cancelled || !matches!(o.state, OrderState::Pending | OrderState::Failed { .. }) {
        return simple("500", "Order cannot be cancelled");
    }
    o.cancelled = true;
    o.state = OrderState::Failed {
        description: "Order cancelled by merchant".into(),
        code: "order_cancelled".into(),
    };
    simple("200", "Order successfully cancelled.")
}

pub(crate) enum Outcome {
    Pay,
    Fail,
    Reverse,
}

/// Applies an outcome and sends the IPN in the background.
pub(crate) fn settle(state: &Arc<State>, id: &str, outcome: Outcome) -> Result<(), SimulatorError> {
    let method = state.config().pesapal_payment_method;
    let mut p = lock(&state.pesapal);
    let order = p
        .orders
        .get_mut(id)
        .ok_or_else(|| SimulatorError::Unknown(id.to_owned()))?;
    order.state = match (&order.state, outcome) {
        (OrderState::Pending, Outcome::Pay) => {
            let mobile =
                !method.eq_ignore_ascii_case("visa") && !method.eq_ignore_ascii_case("mastercard");
            OrderState::Completed {
                account: if mobile {
                    "2557xxx45678".to_owned()
                } else {
                    "476173**0010".to_owned()
                },
                method,
                code: format!("SIM{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
                    .to_ascii_uppercase(),
            }
        }
        (OrderState::Pending, Outcome::Fail) => OrderState::Failed {
            description: "Payment declined by the customer".into(),
            code: "request_terminated_by_user".into(),
        },
        (
            OrderState::Completed {
                method,
                code,
                account,
            },
            Outcome::Reverse,
        ) => OrderState::Reversed {
            method: method.clone(),
            code: code.clone(),
            account: account.clone(),
        },
        _ => return Err(SimulatorError::WrongState(id.to_owned())),
    };
    let tracking = order.tracking_id.clone();
    let reference = order.merchant_reference.clone();
    let ipn_id = order.ipn_id.clone();
    let target = p
        .ipns
        .iter()
        .find(|r| r.ipn_id == ipn_id)
        .map(|r| (r.url.clone(), r.kind));
    drop(p);
    if let Some((url, kind)) = target {
        let state = state.clone();
        spawn(async move { deliver_ipn(state, url, kind, tracking, reference).await });
    }
    Ok(())
}

async fn deliver_ipn(
    state: Arc<State>,
    url: String,
    kind: IpnKind,
    tracking: String,
    reference: String,
) {
    let config = state.config();
    let params = [
        ("OrderTrackingId", tracking.as_str()),
        ("OrderMerchantReference", reference.as_str()),
        ("OrderNotificationType", "IPNCHANGE"),
    ];
    for attempt in 1..=config.delivery_attempts {
        let (request, shown_url, body, method) = match kind {
            IpnKind::Get => {
                let full = match url::Url::parse(&url) {
                    Ok(mut u) => {
                        u.query_pairs_mut().extend_pairs(params);
                        u.to_string()
                    }
                    Err(_) => url.clone(),
                };
                (state.http.get(&full), full, String::new(), "GET")
            }
            IpnKind::Post => {
                let body = match config.pesapal_ipn_post_encoding {
                    PostEncoding::Json => serde_json::to_string(&wire::IpnPost {
                        order_tracking_id: &tracking,
                        order_merchant_reference: &reference,
                        order_notification_type: "IPNCHANGE",
                    })
                    .unwrap_or_default(),
                    PostEncoding::Form => url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(params)
                        .finish(),
                };
                let ct = match config.pesapal_ipn_post_encoding {
                    PostEncoding::Json => "application/json",
                    PostEncoding::Form => "application/x-www-form-urlencoded",
                };
                (
                    state
                        .http
                        .post(&url)
                        .header("Content-Type", ct)
                        .body(body.clone()),
                    url.clone(),
                    body,
                    "POST",
                )
            }
        };
        let (http_status, acknowledged) = match request.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                let ack = serde_json::from_str::<wire::IpnAcknowledgement>(&text)
                    .ok()
                    .is_some_and(|a| {
                        a.order_tracking_id.as_deref() == Some(tracking.as_str())
                            && a.status == "200"
                    });
                (Some(status), status == 200 && ack)
            }
            Err(_) => (None, false),
        };
        state.record(Delivery {
            kind: DeliveryKind::PesapalIpn,
            url: shown_url,
            method,
            body,
            http_status,
            acknowledged,
            attempt,
        });
        if acknowledged {
            return;
        }
        tokio::time::sleep(config.delivery_retry_delay).await;
    }
}

fn payment_page(req: &HttpRequest, state: &Arc<State>) -> HttpResponse {
    let t = language(req);
    let id = query_value(req, "OrderTrackingId").unwrap_or_default();
    let p = lock(&state.pesapal);
    let Some(o) = p.orders.get(id.trim()) else {
        return page(
            req,
            Http::NOT_FOUND,
            &t.text("sim-pesapal-short"),
            &format!("<p>{}</p>", escape(&t.text("sim-unknown-order"))),
        );
    };
    let amount = wetech_i18n::format_amount(t, o.amount.currency(), &o.amount.to_decimal_string());
    let summary = format!(
        "<p><strong>{}</strong></p><p>{}: <strong>{}</strong></p><p>{}: {}</p>",
        escape(&o.description),
        escape(&t.text("sim-amount")),
        escape(&amount),
        escape(&t.text("sim-reference")),
        escape(&o.merchant_reference)
    );
    let body = match o.state {
        OrderState::Pending => format!(
            "{summary}<form method=\"post\" class=\"sim-actions\"><input type=\"hidden\" name=\"OrderTrackingId\" value=\"{id}\">\
             <button name=\"action\" value=\"pay\">{pay}</button> \
             <button name=\"action\" value=\"fail\" class=\"button secondary\">{fail}</button></form>{cancel}",
            id = escape(&o.tracking_id),
            pay = escape(&t.text("sim-pay")),
            fail = escape(&t.text("sim-fail")),
            cancel = o
                .cancellation_url
                .as_deref()
                .map(|c| format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    escape(c),
                    escape(&t.text("sim-cancel"))
                ))
                .unwrap_or_default()
        ),
        _ => format!(
            "{summary}<p>{}</p>",
            escape(&t.text(order_state_key(&o.state)))
        ),
    };
    page(req, Http::OK, &t.text("sim-pesapal-title"), &body)
}

/// The message saying what became of an order.
fn order_state_key(s: &OrderState) -> &'static str {
    match s {
        OrderState::Pending => "sim-order-pending",
        OrderState::Completed { .. } => "sim-order-completed",
        OrderState::Failed { .. } => "sim-order-failed",
        OrderState::Reversed { .. } => "sim-order-reversed",
    }
}

fn payment_action(req: &HttpRequest, body: &[u8], state: &Arc<State>) -> HttpResponse {
    let t = language(req);
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let id = query_value(req, "OrderTrackingId")
        .or_else(|| form.get("OrderTrackingId").cloned())
        .unwrap_or_default();
    let outcome = match form.get("action").map(String::as_str) {
        Some("pay") => Outcome::Pay,
        Some("fail") => Outcome::Fail,
        _ => {
            return page(
                req,
                Http::BAD_REQUEST,
                &t.text("sim-pesapal-short"),
                &format!("<p>{}</p>", escape(&t.text("sim-choose-pay-fail"))),
            );
        }
    };
    if let Err(e) = settle(state, id.trim(), outcome) {
        return page(
            req,
            Http::CONFLICT,
            &t.text("sim-pesapal-short"),
            &format!("<p>{}</p>", escape(&e.to_string())),
        );
    }
    let p = lock(&state.pesapal);
    let Some(o) = p.orders.get(id.trim()) else {
        return page(
            req,
            Http::NOT_FOUND,
            &t.text("sim-pesapal-short"),
            &format!("<p>{}</p>", escape(&t.text("sim-unknown-order"))),
        );
    };
    let target = match url::Url::parse(&o.callback_url) {
        Ok(mut u) => {
            u.query_pairs_mut()
                .append_pair("OrderTrackingId", &o.tracking_id)
                .append_pair("OrderMerchantReference", &o.merchant_reference);
            u.to_string()
        }
        Err(_) => o.callback_url.clone(),
    };
    HttpResponse::SeeOther()
        .insert_header(("Location", target))
        .finish()
}
