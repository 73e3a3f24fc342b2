//! Simulated AzamPay: authenticator host, checkout host, callbacks, and a "phone" page.

mod callback;
mod key_faults;
mod keyring;
mod store;
mod wire;

pub(crate) use callback::callback_body;

pub use key_faults::{not_an_azampay_public_key, wrong_azampay_public_key};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode as Http;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use rsa::traits::PublicKeyParts;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::amount::Amount;
use crate::config::{PushOutcome, StatusDataForm};
use crate::faults::Endpoint;
use crate::handle::{Delivery, DeliveryKind, SimulatorError, TransactionView};
use crate::html::{escape, language, page};
use crate::state::{State, lock, route_tail, spawn};

#[derive(Clone, Copy, PartialEq, Eq)]
enum TxnState {
    Pending,
    Success,
    Failure,
}

struct Txn {
    id: String,
    external_id: String,
    amount: Amount,
    msisdn: String,
    provider: String,
    additional: Option<Value>,
    state: TxnState,
    mno_reference: String,
    created: Instant,
}

#[derive(Default)]
pub(crate) struct AzamPayState {
    tokens: HashMap<String, Instant>,
    /// Bounded (`store::MAX_TRANSACTIONS`): a long-running development server stays the same size.
    txns: store::Txns,
    /// Which key pair signs callbacks and is served (see `keyring`); rotations count up.
    key_generation: u32,
}

fn word(s: TxnState) -> &'static str {
    match s {
        TxnState::Pending => "pending",
        TxnState::Success => "success",
        TxnState::Failure => "failure",
    }
}

impl AzamPayState {
    /// AzamPay replaces its key: callbacks are signed with the other pair from now on, and
    /// the key endpoints serve its public half.
    pub(crate) fn rotate_key(&mut self) {
        self.key_generation = self.key_generation.wrapping_add(1);
    }

    /// The PEM public key in force.
    pub(crate) fn public_key_pem(&self) -> &'static str {
        keyring::public_pem(self.key_generation)
    }

    pub(crate) fn view(&self, id: &str) -> Option<TransactionView> {
        self.txns.get(id).map(|t| TransactionView {
            transaction_id: t.id.clone(),
            external_id: t.external_id.clone(),
            amount: t.amount,
            msisdn: t.msisdn.clone(),
            provider: t.provider.clone(),
            status: word(t.state),
        })
    }

    pub(crate) fn views(&self) -> Vec<TransactionView> {
        let mut v: Vec<(Instant, TransactionView)> = self
            .txns
            .values()
            .filter_map(|t| self.view(&t.id).map(|view| (t.created, view)))
            .collect();
        v.sort_by_key(|(c, _)| *c);
        v.into_iter().map(|(_, view)| view).collect()
    }
}

fn json_response(status: Http, v: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .body(v.to_string())
}

fn auth_error() -> HttpResponse {
    json_response(
        Http::UNAUTHORIZED,
        &json!({"message": "Please Provide Valid Authorization", "status": "Error"}),
    )
}

fn problem(errors: &[(&str, &str)]) -> HttpResponse {
    let mut map = Map::new();
    for (field, msg) in errors {
        map.insert((*field).to_owned(), json!([msg]));
    }
    json_response(
        Http::BAD_REQUEST,
        &json!({
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "traceId": format!("00-{}-01", uuid::Uuid::new_v4().simple()),
            "errors": Value::Object(map)
        }),
    )
}

fn api_key_ok(state: &State, req: &HttpRequest) -> bool {
    let Some(expected) = state.config().azampay_api_key else {
        return true;
    };
    req.headers()
        .get("X-API-Key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| given.trim() == expected)
}

fn bearer_ok(state: &State, req: &HttpRequest) -> bool {
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let Some(token) = token else { return false };
    lock(&state.azampay)
        .tokens
        .get(&token)
        .is_some_and(|exp| Instant::now() < *exp)
}

/// The authenticator host: `AppRegistration/GenerateToken` and the alternative key location.
pub(crate) async fn auth_dispatch(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<State>,
) -> HttpResponse {
    let tail = route_tail(&req);
    let state = state.into_inner();
    match (req.method().as_str(), tail.as_str()) {
        ("POST", "appregistration/generatetoken") => {
            if let Some(f) = state.arrive(Endpoint::AzamPayToken).await {
                return f;
            }
            generate_token(&state, &req, &body)
        }
        ("GET", "api/token/publickey") => {
            if let Some(f) = state.arrive(Endpoint::AzamPayPublicKey).await {
                return f;
            }
            if !bearer_ok(&state, &req) || !api_key_ok(&state, &req) {
                return auth_error();
            }
            public_key(&state, &req)
        }
        _ => json_response(
            Http::NOT_FOUND,
            &json!({"message": "Not found", "success": false, "statusCode": 404}),
        ),
    }
}

fn generate_token(state: &Arc<State>, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    if !api_key_ok(state, req) {
        return auth_error();
    }
    let (app, id, secret) = match serde_json::from_slice::<wire::TokenRequest>(body) {
        Ok(r) => (r.app_name, r.client_id, r.client_secret),
        Err(_) => (String::new(), String::new(), String::new()),
    };
    let mut missing = Vec::new();
    if app.is_empty() {
        missing.push(("AppName", "The AppName field is required."));
    }
    if id.is_empty() {
        missing.push(("ClientId", "The ClientId field is required."));
    }
    if secret.is_empty() {
        missing.push(("ClientSecret", "The ClientSecret field is required."));
    }
    if !missing.is_empty() {
        return problem(&missing);
    }
    let config = state.config();
    if let Some((a, i, s)) = &config.azampay_credentials
        && !(*a == app && *i == id && *s == secret)
    {
        return json_response(
            Http::LOCKED,
            &json!({"data": null,
                        "message": "Provided detail is not valid for this app or secret key has been expired",
                        "success": false, "statusCode": 423}),
        );
    }
    let token = format!("sim-azampay-{}", uuid::Uuid::new_v4().simple());
    let expire = Utc::now()
        + chrono::Duration::from_std(config.token_lifetime)
            .unwrap_or_else(|_| chrono::Duration::seconds(300));
    lock(&state.azampay)
        .tokens
        .insert(token.clone(), Instant::now() + config.token_lifetime);
    json_response(
        Http::OK,
        &json!({
            "data": {"accessToken": token, "expire": expire.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
            "message": "Token generated successfully",
            "success": true,
            "statusCode": 200
        }),
    )
}

fn public_key(state: &State, req: &HttpRequest) -> HttpResponse {
    let generation = lock(&state.azampay).key_generation;
    let format = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("format"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_else(|| "pem".to_owned());
    if format == "xml" {
        let Some(key) = keyring::private_key(generation) else {
            return json_response(Http::INTERNAL_SERVER_ERROR, &json!({"success": false}));
        };
        let public = key.to_public_key();
        let xml = format!(
            "<RSAKeyValue><Modulus>{}</Modulus><Exponent>{}</Exponent></RSAKeyValue>",
            STANDARD.encode(public.n().to_bytes_be()),
            STANDARD.encode(public.e().to_bytes_be())
        );
        return json_response(
            Http::OK,
            &json!({"success": true, "format": "Xml", "publicKey": xml}),
        );
    }
    json_response(
        Http::OK,
        &json!({"success": true, "format": "Pem", "publicKey": keyring::public_pem(generation)}),
    )
}

/// The checkout host.
pub(crate) async fn checkout_dispatch(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<State>,
) -> HttpResponse {
    let tail = route_tail(&req);
    let state = state.into_inner();
    let endpoint = match (req.method().as_str(), tail.as_str()) {
        ("POST", "azampay/mno/checkout") => Endpoint::AzamPayMnoCheckout,
        ("POST", "azampay/bank/checkout") => Endpoint::AzamPayBankCheckout,
        ("GET", "api/v1/partner/getpaymentpartners") => Endpoint::AzamPayPartners,
        ("GET", "azampay/v1/public-key") => Endpoint::AzamPayPublicKey,
        ("GET", "azampay/gettransactionstatus") => Endpoint::AzamPayStatus,
        _ => return HttpResponse::NotFound().finish(),
    };
    if let Some(f) = state.arrive(endpoint).await {
        return f;
    }
    if !bearer_ok(&state, &req) || !api_key_ok(&state, &req) {
        return auth_error();
    }
    match endpoint {
        Endpoint::AzamPayMnoCheckout => mno_checkout(&state, &body),
        Endpoint::AzamPayBankCheckout => bank_checkout(&state, &body),
        Endpoint::AzamPayPartners => partners(),
        Endpoint::AzamPayPublicKey => public_key(&state, &req),
        _ => status(&state, &req),
    }
}

/// A checkout body: a JSON object read as `T`. Unknown fields are ignored (see `wire`).
fn object<T: DeserializeOwned>(body: &[u8]) -> Result<T, Box<HttpResponse>> {
    let refused = || {
        Box::new(problem(&[(
            "request",
            "A non-empty JSON object is required.",
        )]))
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => serde_json::from_value(v).map_err(|_| refused()),
        _ => Err(refused()),
    }
}

fn amount_of(text: &str) -> Option<Amount> {
    let m = Amount::parse(text, "TZS")?;
    (m.minor() > 0 && m.minor() <= 5_000_000 * 100).then_some(m)
}

fn extras_of(v: Option<Value>) -> Result<Option<Value>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(o @ Value::Object(_)) if o.to_string().len() <= 4096 => Ok(Some(o)),
        Some(_) => Err(()),
    }
}

fn accepted(id: &str) -> HttpResponse {
    json_response(
        Http::OK,
        &json!({"success": true, "transactionId": id, "message": "Your request has been received and is being processed."}),
    )
}

fn mno_checkout(state: &Arc<State>, body: &[u8]) -> HttpResponse {
    let r = match object::<wire::MnoCheckoutRequest>(body) {
        Ok(r) => r,
        Err(refused) => return *refused,
    };
    let account = r.account_number;
    let mut errors = Vec::new();
    if !(account.len() == 12
        && account.starts_with("255")
        && account.bytes().all(|b| b.is_ascii_digit()))
    {
        errors.push((
            "accountNumber",
            "accountNumber must be a 255XXXXXXXXX mobile number.",
        ));
    }
    let amount = amount_of(&r.amount);
    if amount.is_none() {
        errors.push(("amount", "amount must be a number between 0 and 5000000."));
    }
    if r.currency != "TZS" {
        errors.push(("currency", "Only TZS is supported."));
    }
    let external_id = r.external_id;
    if external_id.trim().is_empty() || external_id.chars().count() > 128 {
        errors.push((
            "externalId",
            "externalId is required and must be at most 128 characters.",
        ));
    }
    let provider = r.provider;
    if !["Airtel", "Tigo", "Halopesa", "Azampesa", "Mpesa"].contains(&provider.as_str()) {
        errors.push((
            "provider",
            "provider must be one of Airtel, Tigo, Halopesa, Azampesa, Mpesa.",
        ));
    }
    let additional = extras_of(r.additional_properties);
    if additional.is_err() {
        errors.push((
            "additionalProperties",
            "additionalProperties must be an object of at most 4096 bytes.",
        ));
    }
    match (errors.is_empty(), amount, additional) {
        (true, Some(amount), Ok(additional)) => {
            create(state, external_id, amount, account, provider, additional)
        }
        _ => problem(&errors),
    }
}

fn bank_checkout(state: &Arc<State>, body: &[u8]) -> HttpResponse {
    let r = match object::<wire::BankCheckoutRequest>(body) {
        Ok(r) => r,
        Err(refused) => return *refused,
    };
    let mut errors = Vec::new();
    let amount = amount_of(&r.amount);
    if amount.is_none() {
        errors.push(("amount", "amount must be a number between 0 and 5000000."));
    }
    if r.currency_code != "TZS" {
        errors.push(("currencyCode", "Only TZS is supported."));
    }
    let account = r.merchant_account_number;
    if account.trim().is_empty() || account.len() > 100 {
        errors.push((
            "merchantAccountNumber",
            "merchantAccountNumber is required.",
        ));
    }
    let mobile = r.merchant_mobile_number;
    if mobile.trim().is_empty() || mobile.len() > 100 {
        errors.push(("merchantMobileNumber", "merchantMobileNumber is required."));
    }
    let otp = r.otp;
    if otp.trim().is_empty() {
        errors.push(("otp", "otp is required."));
    }
    let provider = r.provider;
    if provider != "CRDB" && provider != "NMB" {
        errors.push(("provider", "provider must be CRDB or NMB."));
    }
    let additional = extras_of(r.additional_properties);
    if additional.is_err() {
        errors.push((
            "additionalProperties",
            "additionalProperties must be an object of at most 4096 bytes.",
        ));
    }
    if !errors.is_empty() {
        return problem(&errors);
    }
    if otp.trim() == "000000" {
        return json_response(
            Http::OK,
            &json!({"success": false, "transactionId": null, "message": "Invalid OTP"}),
        );
    }
    let reference = Some(r.reference_id)
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    match (amount, additional) {
        (Some(amount), Ok(additional)) => {
            create(state, reference, amount, mobile, provider, additional)
        }
        _ => problem(&errors),
    }
}

fn create(
    state: &Arc<State>,
    external_id: String,
    amount: Amount,
    msisdn: String,
    provider: String,
    additional: Option<Value>,
) -> HttpResponse {
    let mut a = lock(&state.azampay);
    if a.txns.has_external_id(&external_id) {
        return json_response(
            Http::OK,
            &json!({"success": false, "transactionId": null, "message": "A transaction with this externalId already exists."}),
        );
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    a.txns.insert(Txn {
        id: id.clone(),
        external_id,
        amount,
        msisdn,
        provider,
        additional,
        state: TxnState::Pending,
        mno_reference: format!("MNO{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
            .to_ascii_uppercase(),
        created: Instant::now(),
    });
    drop(a);
    let push = state.config().azampay_push;
    let (success, after) = match push {
        PushOutcome::Manual => return accepted(&id),
        PushOutcome::Approve { after } => (true, after),
        PushOutcome::Fail { after } => (false, after),
    };
    let st = state.clone();
    let tid = id.clone();
    spawn(async move {
        tokio::time::sleep(after).await;
        let _ = settle(&st, &tid, success);
    });
    accepted(&id)
}

fn partners() -> HttpResponse {
    let entries = [
        ("Airtel", 2, "airtel"),
        ("Tigopesa", 3, "tigo"),
        ("HaloPesa", 4, "halopesa"),
        ("Azampesa", 5, "azampesa"),
        ("vodacom", 10, "mpesa"),
    ];
    let items: Vec<Value> = entries
        .iter()
        .map(|(name, code, logo)| {
            json!({
                "id": code, "logoUrl": format!("https://example.invalid/logos/{logo}.png"), "partnerName": name,
                "provider": code, "vendorName": "wetech-simulator",
                "paymentVendorId": uuid::Uuid::new_v4().to_string(),
                "paymentPartnerId": uuid::Uuid::new_v4().to_string(), "currency": "TZS", "status": "1",
                "vendorType": "MNO", "partnerType": "Collection"
            })
        })
        .collect();
    json_response(Http::OK, &Value::Array(items))
}

/// Simulator-only status query (the real collection status endpoint is UNCONFIRMED).
fn status(state: &Arc<State>, req: &HttpRequest) -> HttpResponse {
    let id = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("pgReferenceId"))
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let form = state.config().azampay_status_data;
    let a = lock(&state.azampay);
    let Some(t) = a.txns.get(id.trim()) else {
        return json_response(
            Http::OK,
            &json!({"data": null, "message": "Transaction not found", "success": false, "statusCode": 404}),
        );
    };
    let sentence = match t.state {
        TxnState::Failure => "Transaction failed",
        TxnState::Success => "Transaction successful.",
        TxnState::Pending => "Transaction pending",
    };
    let data = match form {
        StatusDataForm::Object => json!({
            "transactionstatus": word(t.state), "amount": t.amount.to_compact_string(), "currency": "TZS",
            "msisdn": t.msisdn, "operator": t.provider, "utilityref": t.external_id, "reference": t.id,
            "mnoreference": if t.state == TxnState::Success { t.mno_reference.clone() } else { String::new() },
            "message": sentence
        }),
        StatusDataForm::Sentence => Value::String(sentence.to_owned()),
    };
    json_response(
        Http::OK,
        &json!({
            "data": data,
            "message": "Transaction Status successfuly fetch",
            "success": true,
            "statusCode": 200
        }),
    )
}

/// Ends a pending push and sends the callback in the background.
pub(crate) fn settle(state: &Arc<State>, id: &str, success: bool) -> Result<(), SimulatorError> {
    {
        let mut a = lock(&state.azampay);
        let t = a
            .txns
            .get_mut(id)
            .ok_or_else(|| SimulatorError::Unknown(id.to_owned()))?;
        if t.state != TxnState::Pending {
            return Err(SimulatorError::WrongState(id.to_owned()));
        }
        t.state = if success {
            TxnState::Success
        } else {
            TxnState::Failure
        };
    }
    let body = callback_body(state, id, success)?;
    if let Some(url) = state.config().azampay_callback_url {
        let st = state.clone();
        spawn(async move { deliver(st, url, body).await });
    }
    Ok(())
}

async fn deliver(state: Arc<State>, url: String, body: Vec<u8>) {
    let config = state.config();
    let text = String::from_utf8_lossy(&body).into_owned();
    for attempt in 1..=config.delivery_attempts {
        let result = state
            .http
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await;
        let http_status = result.as_ref().ok().map(|r| r.status().as_u16());
        let acknowledged = http_status.is_some_and(|s| (200..300).contains(&s));
        state.record(Delivery {
            kind: DeliveryKind::AzamPayCallback,
            url: url.clone(),
            method: "POST",
            body: text.clone(),
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

/// `GET /_simulator/azampay/phone`: pending pushes with Approve / Decline buttons.
pub(crate) async fn phone_page(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let t = language(&req);
    let a = lock(&state.azampay);
    let mut rows = String::new();
    for view in a.views().into_iter().rev().take(50) {
        let buttons = if view.status == "pending" {
            format!(
                "<form method=\"post\" action=\"/_simulator/azampay/phone/{id}\" class=\"sim-actions\">\
                 <button name=\"action\" value=\"approve\">{approve}</button>\
                 <button name=\"action\" value=\"decline\" class=\"button secondary\">{decline}</button></form>",
                id = escape(&view.transaction_id),
                approve = escape(&t.text("sim-approve")),
                decline = escape(&t.text("sim-decline")),
            )
        } else {
            format!(
                "<p>{}</p>",
                escape(&t.text(&format!("sim-push-{}", view.status)))
            )
        };
        let amount = format!(
            "<strong>{}</strong>",
            escape(&wetech_i18n::format_amount(
                t,
                "TZS",
                &view.amount.to_decimal_string()
            ))
        );
        let line = t.text_with(
            "sim-push",
            &[
                ("merchant", "wetech".into()),
                ("amount", "\u{1}".into()),
                ("msisdn", view.msisdn.clone().into()),
                ("provider", view.provider.clone().into()),
                ("reference", view.external_id.clone().into()),
            ],
        );
        // Escaped as a whole, then the amount's markup put in its place.
        let line = escape(&line).replace('\u{1}', &amount);
        rows.push_str(&format!("<li><p>{line}</p>{buttons}</li>"));
    }
    if rows.is_empty() {
        rows.push_str(&format!("<li>{}</li>", escape(&t.text("sim-no-pushes"))));
    }
    page(
        &req,
        Http::OK,
        &t.text("sim-phone-title"),
        &format!("<ul class=\"sim-list\">{rows}</ul>"),
    )
}

/// `POST /_simulator/azampay/phone/{id}` with `action=approve|decline`.
pub(crate) async fn phone_action(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<State>,
) -> HttpResponse {
    let t = language(&req);
    let id = req.match_info().get("id").unwrap_or("").to_owned();
    let action = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.into_owned());
    let success = match action.as_deref() {
        Some("approve") => true,
        Some("decline") => false,
        _ => {
            return page(
                &req,
                Http::BAD_REQUEST,
                &t.text("sim-phone-title"),
                &format!("<p>{}</p>", escape(&t.text("sim-choose-approve-decline"))),
            );
        }
    };
    match settle(&state.into_inner(), &id, success) {
        Ok(()) => HttpResponse::SeeOther()
            .insert_header(("Location", "/_simulator/azampay/phone"))
            .finish(),
        Err(e) => page(
            &req,
            Http::CONFLICT,
            &t.text("sim-phone-title"),
            &format!("<p>{}</p>", escape(&e.to_string())),
        ),
    }
}
