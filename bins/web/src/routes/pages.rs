//! The customer pages (CONTRACT.md §6): the catalogue with the lead form, the invoice with its pay
//! forms, and the two form posts. HTML comes from askama templates in `templates/` (compiled in,
//! HTML-escaped by default — no template uses `|safe`); the one stylesheet is compiled in as well and
//! served at [`STYLESHEET_PATH`]. No JavaScript, no inline style, nothing from another origin, so the
//! pages live within the site's Content-Security-Policy.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | services and the lead form (`?service=CODE` preselects one) |
//! | `POST /leads` | the lead form; 303 to the invoice page |
//! | `GET /invoices/{id}` | the invoice; pay forms while unpaid; refreshes itself while pending |
//! | `POST /invoices/{id}/pay` | `gateway` (+ `phone`, `provider`); 303 to Pesapal or back to the invoice |
//! | `GET /static/site.css` | the stylesheet |
//!
//! Every form carries the double-submit token of [`crate::csrf`]; a POST without the right token is a
//! 403 page and nothing else is done. A person never sees JSON: errors are HTML pages with the status
//! of the JSON API's mapping, and a form with mistakes comes back (422) with the messages next to the
//! fields and the values as they were typed.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use serde_json::{Map, Value};
use wetech_app::{AppError, InvoiceView, PaymentChoice, ServiceView, UseCases};
use wetech_payments::MobileProvider;

use crate::csrf::{self, Csrf};
use crate::error::ApiError;
use crate::extract::{Fields, FormFields};
use crate::ratelimit::LeadRateLimit;
use crate::routes::api::{read_lead, read_payment_choice};

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/static/site.css";

/// The stylesheet, compiled into the binary.
const STYLESHEET: &str = include_str!("../../static/site.css");

/// The simulator's AzamPay "phone" page (mounted only in simulator mode).
const SIMULATOR_PHONE_PAGE: &str = "/_simulator/azampay/phone";

/// Mounts the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/leads", web::post().to(submit_lead))
        // A reload of the re-rendered form, or a typed address: back to the form.
        .route("/leads", web::get().to(|| async { see_other("/") }))
        .route("/invoices/{id}", web::get().to(invoice))
        .route("/invoices/{id}/pay", web::post().to(pay))
        .route("/invoices/{id}/pay", web::get().to(pay_get))
        .route(STYLESHEET_PATH, web::get().to(stylesheet));
}

// ---------------------------------------------------------------------------------------------
// Errors a person sees
// ---------------------------------------------------------------------------------------------

/// An error shown as an HTML page, with the status the JSON API would give the same error.
pub struct PageError(ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(ApiError::from(e))
    }
}

impl fmt::Debug for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        error_page(&self.0)
    }
}

type PageResult = Result<HttpResponse, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    lines: Vec<String>,
    back_href: &'a str,
    back_label: &'a str,
}

/// What the customer is told about a gateway failure (never the gateway's own words, which are for
/// the logs and the API).
fn gateway_trouble(e: &ApiError) -> Option<Vec<String>> {
    let lines = match e {
        ApiError::GatewayError(_) => vec![
            "The payment service could not start this payment. Nothing was charged.".to_owned(),
            "Please try again, or choose the other way to pay.".to_owned(),
        ],
        ApiError::GatewayUnavailable(_) => vec![
            "The payment service cannot be reached right now. Nothing was charged.".to_owned(),
            "Please try again in a few minutes.".to_owned(),
        ],
        ApiError::GatewayTimeout(_) => vec![
            "The payment service did not answer in time.".to_owned(),
            "If a payment request reaches your phone and you approve it, the payment will still be \
             recorded here. Otherwise please try again in a few minutes."
                .to_owned(),
        ],
        _ => return None,
    };
    Some(lines)
}

/// Renders `e` as an HTML page (internal errors are logged with their chain, shown generically).
fn error_page(e: &ApiError) -> HttpResponse {
    let status = e.status_code();
    let (title, lines, back_href, back_label): (&str, Vec<String>, &str, &str) = match e {
        ApiError::CsrfFailed => (
            "This form has expired",
            vec![
                "For your safety we could not accept this form: it was not sent from this site's \
                 own page, or your browser did not keep our cookie."
                    .to_owned(),
                "Please go back, reload the page and send the form again. Nothing was recorded."
                    .to_owned(),
            ],
            "/",
            "Back to the start page",
        ),
        ApiError::NotFound(_) | ApiError::MethodNotAllowed(_) => (
            "Page not found",
            vec![
                "We could not find this page or invoice. Please check the link you were given."
                    .to_owned(),
            ],
            "/",
            "Back to the start page",
        ),
        ApiError::RateLimited { retry_after_secs } => (
            "Too many requests",
            vec![format!(
                "You have sent several forms in a short time. Please wait {retry_after_secs} \
                 seconds and try again. Nothing was recorded."
            )],
            "/",
            "Back to the start page",
        ),
        ApiError::PayloadTooLarge => (
            "Too much text",
            vec![
                "The form was larger than 64 KiB. Please shorten your message and try again."
                    .to_owned(),
            ],
            "/",
            "Back to the start page",
        ),
        ApiError::Malformed(_) | ApiError::UnsupportedMediaType(_) => (
            "The form could not be read",
            vec!["Please go back, reload the page and send the form again.".to_owned()],
            "/",
            "Back to the start page",
        ),
        ApiError::Conflict(m) => (
            "This cannot be done now",
            vec![m.clone()],
            "/",
            "Back to the start page",
        ),
        ApiError::Validation { fields, .. } => (
            "Please check your input",
            fields.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
            "/",
            "Back to the start page",
        ),
        ApiError::GatewayError(_)
        | ApiError::GatewayUnavailable(_)
        | ApiError::GatewayTimeout(_) => (
            "Payment service trouble",
            gateway_trouble(e).unwrap_or_default(),
            "/",
            "Back to the start page",
        ),
        ApiError::Unauthorized(_) => (
            "Not allowed",
            vec!["This request is not allowed.".to_owned()],
            "/",
            "Back to the start page",
        ),
        ApiError::Internal(chain) => {
            tracing::error!(error.chain = ?chain, "internal error on a page");
            (
                "Something went wrong",
                vec![
                    "Sorry, something went wrong on our side. Please try again in a moment."
                        .to_owned(),
                ],
                "/",
                "Back to the start page",
            )
        }
    };
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        lines,
        back_href,
        back_label,
    };
    let mut resp = match page.render() {
        Ok(body) => html(status, body),
        Err(render) => {
            tracing::error!(error = %render, "rendering the error page failed");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(title.to_owned())
        }
    };
    if let ApiError::RateLimited { retry_after_secs } = e {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// An HTML response that no cache keeps (pages carry a CSRF token or a customer's invoice).
fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn render(template: &impl Template, status: StatusCode) -> PageResult {
    let body = template.render().map_err(ApiError::internal)?;
    Ok(html(status, body))
}

/// `303 See Other` to a path of this site.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// The CSRF token for this browser's forms; sets the cookie on `resp` when the browser has none.
struct Token {
    value: String,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
}

impl Token {
    fn for_request(csrf: &Csrf, req: &HttpRequest) -> Self {
        let (value, cookie) = csrf.token_for(req);
        Token { value, cookie }
    }

    fn attach(self, mut resp: HttpResponse) -> HttpResponse {
        if let Some(cookie) = self.cookie
            && let Err(e) = resp.add_cookie(&cookie)
        {
            tracing::warn!(error = %e, "could not set the CSRF cookie");
        }
        resp
    }
}

/// Reads the query string leniently (a malformed one counts as empty).
fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A form field as typed (for re-rendering).
fn typed(map: &Map<String, Value>, name: &str) -> String {
    match map.get(name) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Takes the CSRF field out of the form and checks it against the browser's cookie.
fn check_csrf(
    csrf: &Csrf,
    req: &HttpRequest,
    map: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let submitted = match map.remove(csrf::FIELD_NAME) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    if csrf.verify(req, submitted.as_deref()) {
        Ok(())
    } else {
        tracing::warn!(path = %req.path(), "form refused: CSRF token missing or wrong");
        Err(ApiError::CsrfFailed)
    }
}

/// Errors for fields the page has no place for (e.g. an unknown field), shown in the summary.
fn other_errors(errors: &BTreeMap<String, String>, known: &[&str]) -> Vec<(String, String)> {
    errors
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `500000.00` → `500,000.00` (digits grouped by thousands; the fraction untouched).
fn group_thousands(decimal: &str) -> String {
    let (sign, rest) = match decimal.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", decimal),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if !int.bytes().all(|b| b.is_ascii_digit()) {
        return decimal.to_owned();
    }
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 4);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `TZS 500,000.00`
fn money(amount: &str, currency: &str) -> String {
    format!("{currency} {}", group_thousands(amount))
}

/// An RFC 3339 instant in East Africa Time: `3 March 2026, 17:05 EAT`.
fn human_time(rfc3339: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    match chrono::FixedOffset::east_opt(3 * 3600) {
        Some(eat) => t
            .with_timezone(&eat)
            .format("%-d %B %Y, %H:%M EAT")
            .to_string(),
        None => rfc3339.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// GET / and POST /leads
// ---------------------------------------------------------------------------------------------

/// The lead form's values as typed.
#[derive(Default)]
struct LeadForm {
    name: String,
    email: String,
    phone: String,
    company: String,
    service: String,
    message: String,
}

const LEAD_FIELDS: [&str; 6] = ["name", "email", "phone", "company", "service", "message"];

impl LeadForm {
    fn typed(map: &Map<String, Value>) -> Self {
        LeadForm {
            name: typed(map, "name"),
            email: typed(map, "email"),
            phone: typed(map, "phone"),
            company: typed(map, "company"),
            service: typed(map, "service"),
            message: typed(map, "message"),
        }
    }
}

struct ServiceItem {
    code: String,
    name: String,
    price: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    services: Vec<ServiceItem>,
    form: &'a LeadForm,
    errors: &'a BTreeMap<String, String>,
    other_errors: Vec<(String, String)>,
    csrf_token: &'a str,
}

fn render_home(
    req: &HttpRequest,
    csrf: &Csrf,
    services: Vec<ServiceView>,
    form: &LeadForm,
    errors: &BTreeMap<String, String>,
    status: StatusCode,
) -> PageResult {
    let token = Token::for_request(csrf, req);
    let page = IndexPage {
        services: services
            .into_iter()
            .map(|s| ServiceItem {
                price: money(&s.price, &s.currency),
                code: s.code,
                name: s.name,
            })
            .collect(),
        form,
        errors,
        other_errors: other_errors(errors, &LEAD_FIELDS),
        csrf_token: &token.value,
    };
    let resp = render(&page, status)?;
    Ok(token.attach(resp))
}

/// `GET /`: the services and the lead form.
async fn home(req: HttpRequest, app: web::Data<UseCases>, csrf: web::Data<Csrf>) -> PageResult {
    let services = app.list_services().await?;
    let mut form = LeadForm::default();
    if let Some(code) = query_param(&req, "service")
        && services.iter().any(|s| s.code == code)
    {
        form.service = code;
    }
    render_home(
        &req,
        &csrf,
        services,
        &form,
        &BTreeMap::new(),
        StatusCode::OK,
    )
}

/// `POST /leads`: CSRF first, then the rate limit, then the fields; 303 to the new invoice.
async fn submit_lead(
    req: HttpRequest,
    app: web::Data<UseCases>,
    csrf: web::Data<Csrf>,
    limit: web::Data<LeadRateLimit>,
    body: Result<FormFields, ApiError>,
) -> PageResult {
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    limit.check(&req)?;
    let form = LeadForm::typed(&map);
    let mut fields = Fields::new(map);
    let lead = read_lead(&mut fields);
    let refused = match fields.finish().and_then(|()| Fields::all(lead)) {
        Ok(lead) => match app.submit_lead(lead, None).await {
            Ok(outcome) => {
                let id = &outcome.receipt().invoice.id;
                return Ok(see_other(&format!("/invoices/{id}")));
            }
            Err(AppError::Validation(fields)) => fields,
            Err(e) => return Err(e.into()),
        },
        Err(ApiError::Validation { fields, .. }) => fields,
        Err(e) => return Err(e.into()),
    };
    let services = app.list_services().await?;
    render_home(
        &req,
        &csrf,
        services,
        &form,
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

// ---------------------------------------------------------------------------------------------
// GET /invoices/{id} and POST /invoices/{id}/pay
// ---------------------------------------------------------------------------------------------

/// The AzamPay form's values as typed.
#[derive(Default)]
struct PayForm {
    phone: String,
    provider: String,
}

const PAY_FIELDS: [&str; 4] = ["gateway", "payment", "phone", "provider"];

struct Notice {
    kind: &'static str,
    lines: Vec<String>,
}

struct ProviderOption {
    value: &'static str,
    label: &'static str,
}

fn provider_label(p: MobileProvider) -> &'static str {
    match p {
        MobileProvider::Airtel => "Airtel Money",
        MobileProvider::Tigo => "Tigo Pesa (Mixx by Yas)",
        MobileProvider::Halopesa => "HaloPesa",
        MobileProvider::Azampesa => "AzamPesa",
        MobileProvider::Mpesa => "Vodacom M-Pesa",
    }
}

struct PaymentRow {
    created_at: String,
    gateway: &'static str,
    status: String,
    amount: String,
}

fn gateway_label(g: &str) -> &'static str {
    match g {
        "pesapal" => "Pesapal",
        "azampay" => "AzamPay",
        _ => "Other",
    }
}

fn attempt_label(status: &str) -> String {
    match status {
        "initiated" => "Starting".to_owned(),
        "pending" => "Waiting for approval".to_owned(),
        "completed" => "Paid".to_owned(),
        "failed" => "Failed".to_owned(),
        "expired" => "Not completed".to_owned(),
        "reversed" => "Reversed".to_owned(),
        other => other.replace('_', " "),
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "unpaid" => "Unpaid",
        "pending" => "Payment under way",
        "paid" => "Paid",
        "reversed" => "Reversed",
        _ => "Unknown",
    }
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage<'a> {
    inv: &'a InvoiceView,
    amount: String,
    status_label: &'static str,
    issued: String,
    paid: Option<String>,
    payments: Vec<PaymentRow>,
    notice: Option<Notice>,
    can_pay: bool,
    refresh: bool,
    pending_gateway: &'static str,
    simulator: bool,
    pesapal_enabled: bool,
    azampay_enabled: bool,
    providers: Vec<ProviderOption>,
    pay: &'a PayForm,
    errors: &'a BTreeMap<String, String>,
    other_errors: Vec<(String, String)>,
    csrf_token: &'a str,
}

/// Everything that varies between renderings of one invoice.
#[derive(Default)]
struct InvoiceExtras {
    notice: Option<Notice>,
    pay: PayForm,
    errors: BTreeMap<String, String>,
}

fn render_invoice(
    req: &HttpRequest,
    app: &UseCases,
    csrf: &Csrf,
    inv: &InvoiceView,
    extras: &InvoiceExtras,
    status: StatusCode,
) -> PageResult {
    let token = Token::for_request(csrf, req);
    let pending = inv.status == "pending";
    let pending_gateway = inv
        .payments
        .iter()
        .rev()
        .find(|p| matches!(p.status.as_str(), "pending" | "initiated"))
        .map_or("", |p| match p.gateway.as_str() {
            "pesapal" => "pesapal",
            "azampay" => "azampay",
            _ => "",
        });
    let page = InvoicePage {
        inv,
        amount: money(&inv.amount, &inv.currency),
        status_label: status_label(&inv.status),
        issued: human_time(&inv.issued_at),
        paid: inv.paid_at.as_deref().map(human_time),
        payments: inv
            .payments
            .iter()
            .map(|p| PaymentRow {
                created_at: human_time(&p.created_at),
                gateway: gateway_label(&p.gateway),
                status: attempt_label(&p.status),
                amount: money(&p.amount, &inv.currency),
            })
            .collect(),
        notice: extras.notice.as_ref().map(|n| Notice {
            kind: n.kind,
            lines: n.lines.clone(),
        }),
        can_pay: matches!(inv.status.as_str(), "unpaid" | "pending"),
        refresh: pending,
        pending_gateway,
        simulator: req.resource_map().has_resource(SIMULATOR_PHONE_PAGE),
        pesapal_enabled: app.gateways().pesapal.is_some(),
        azampay_enabled: app.gateways().azampay.is_some(),
        providers: MobileProvider::ALL
            .iter()
            .map(|p| ProviderOption {
                value: p.as_str(),
                label: provider_label(*p),
            })
            .collect(),
        pay: &extras.pay,
        errors: &extras.errors,
        other_errors: other_errors(&extras.errors, &PAY_FIELDS),
        csrf_token: &token.value,
    };
    let resp = render(&page, status)?;
    Ok(token.attach(resp))
}

/// `GET /invoices/{id}` (`?sent=1` after an AzamPay push was sent).
async fn invoice(
    req: HttpRequest,
    app: web::Data<UseCases>,
    csrf: web::Data<Csrf>,
    id: web::Path<String>,
) -> PageResult {
    let inv = app.invoice(&id).await?;
    let mut extras = InvoiceExtras::default();
    if inv.status == "pending" && query_param(&req, "sent").is_some_and(|v| v == "1") {
        extras.notice = Some(Notice {
            kind: "success",
            lines: vec![
                "We sent a payment request to your phone.".to_owned(),
                "Unlock your phone and enter your mobile-money PIN to approve it.".to_owned(),
            ],
        });
    }
    render_invoice(&req, &app, &csrf, &inv, &extras, StatusCode::OK)
}

/// `GET /invoices/{id}/pay` (a reload after a refused payment): back to the invoice.
async fn pay_get(id: web::Path<String>) -> PageResult {
    if wetech_domain::PublicId::parse(&id).is_err() {
        return Err(ApiError::NotFound("invoice not found".to_owned()).into());
    }
    Ok(see_other(&format!("/invoices/{id}")))
}

/// `POST /invoices/{id}/pay`: CSRF first, then the choice; 303 to Pesapal's page or back to the
/// invoice. A refusal is shown on the invoice page with the API's status.
async fn pay(
    req: HttpRequest,
    app: web::Data<UseCases>,
    csrf: web::Data<Csrf>,
    id: web::Path<String>,
    body: Result<FormFields, ApiError>,
) -> PageResult {
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    let typed_form = PayForm {
        phone: typed(&map, "phone"),
        provider: typed(&map, "provider"),
    };
    let mut fields = Fields::new(map);
    let choice = read_payment_choice(&mut fields);
    let choice: PaymentChoice = match fields.finish().and_then(|()| Fields::all(choice)) {
        Ok(choice) => choice,
        Err(e) => return refused_payment(&req, &app, &csrf, &id, typed_form, e).await,
    };
    match app.start_payment(&id, choice).await {
        Ok(started) => match started.redirect_url {
            Some(url) => match HeaderValue::from_str(&url) {
                Ok(location) => Ok(HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish()),
                Err(_) => {
                    tracing::error!("the gateway's redirect URL is not a valid header value");
                    refused_payment(
                        &req,
                        &app,
                        &csrf,
                        &id,
                        typed_form,
                        ApiError::GatewayError("unusable redirect URL".to_owned()),
                    )
                    .await
                }
            },
            // The use case accepted `id`, so it is a well-formed public id.
            None => Ok(see_other(&format!("/invoices/{id}?sent=1"))),
        },
        Err(e) => refused_payment(&req, &app, &csrf, &id, typed_form, ApiError::from(e)).await,
    }
}

/// Shows a refused payment on the invoice page with the error's status (422 with the messages by
/// the fields, 409 already paid / under way, 502–504 gateway trouble); anything else is an error page.
async fn refused_payment(
    req: &HttpRequest,
    app: &UseCases,
    csrf: &Csrf,
    id: &str,
    pay: PayForm,
    err: ApiError,
) -> PageResult {
    let status = err.status_code();
    let mut extras = InvoiceExtras {
        pay,
        ..InvoiceExtras::default()
    };
    match err {
        ApiError::Validation { fields, .. } => extras.errors = fields,
        ApiError::Conflict(message) => {
            extras.notice = Some(Notice {
                kind: "warn",
                lines: vec![capitalise(&message)],
            });
        }
        ref e @ (ApiError::GatewayError(_)
        | ApiError::GatewayUnavailable(_)
        | ApiError::GatewayTimeout(_)) => {
            extras.notice = Some(Notice {
                kind: "error",
                lines: gateway_trouble(e).unwrap_or_default(),
            });
        }
        other => return Err(other.into()),
    }
    let inv = app.invoice(id).await?;
    render_invoice(req, app, csrf, &inv, &extras, status)
}

/// `the invoice is already paid` → `The invoice is already paid.`
fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The stylesheet
// ---------------------------------------------------------------------------------------------

/// `GET /static/site.css`
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money("500000.00", "TZS"), "TZS 500,000.00");
        assert_eq!(money("1500000.00", "TZS"), "TZS 1,500,000.00");
        assert_eq!(money("120.50", "KES"), "KES 120.50");
        assert_eq!(group_thousands("1000"), "1,000");
        assert_eq!(group_thousands("-1234567.5"), "-1,234,567.5");
        assert_eq!(group_thousands("0.00"), "0.00");
        // Anything unexpected is shown as it is.
        assert_eq!(group_thousands("1e9"), "1e9");
    }

    #[test]
    fn times_are_shown_in_east_africa_time() {
        assert_eq!(
            human_time("2026-03-03T14:05:00Z"),
            "3 March 2026, 17:05 EAT"
        );
        assert_eq!(human_time("not a time"), "not a time");
    }

    #[test]
    fn templates_escape_user_text() {
        let form = LeadForm {
            name: "<script>alert(1)</script>".to_owned(),
            message: "\"><img src=x onerror=alert(1)>".to_owned(),
            ..LeadForm::default()
        };
        let mut errors = BTreeMap::new();
        errors.insert("<b>x</b>".to_owned(), "unknown field".to_owned());
        let page = IndexPage {
            services: vec![],
            form: &form,
            errors: &errors,
            other_errors: other_errors(&errors, &LEAD_FIELDS),
            csrf_token: "tok",
        };
        let body = page.render().unwrap();
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(!body.contains("<img"), "{body}");
        assert!(!body.contains("<b>x"), "{body}");
        assert!(body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    }

    #[test]
    fn capitalised_messages() {
        assert_eq!(
            capitalise("the invoice is already paid"),
            "The invoice is already paid."
        );
        assert_eq!(capitalise("already done."), "Already done.");
        assert_eq!(capitalise(""), "");
    }
}
