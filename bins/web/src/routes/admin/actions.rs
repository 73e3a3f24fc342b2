//! The money actions (docs/back-office.md, "Actions"), each a confirmation page (`GET`) and a
//! CSRF-checked `POST` that answers 303 to the invoice's back-office page:
//! `/admin/payments/{id}/recheck` (staff), `/admin/payments/{id}/refund`,
//! `/admin/payments/{id}/resolve` and `/admin/invoices/{public_id}/void` (admin). `{id}` is the
//! payment's merchant reference. A refusal is a page: 403 (role, CSRF), 404 (unknown id), 409
//! (the state does not allow it), 422 (the form again, with what is wrong), 502 (Pesapal refused
//! the refund; the refusal is recorded).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use wetech_app::backoffice::actions::{InvoiceTarget, PaymentTarget, RefundInput};
use wetech_app::backoffice::{Actor, SignedIn};
use wetech_app::{AppError, UseCases};
use wetech_domain::{Gateway, Money, ReviewDecision};
use wetech_persistence::refunds::RefundState;

use super::dashboard::Bar;
use super::page;
use super::session::{AdminError, AdminErrorPage, RequireAdmin, StaffSession, client_address};
use crate::csrf::Csrf;
use crate::error::ApiError;
use crate::extract::FormFields;
use crate::routes::pages::form::{check_csrf, typed};
use crate::routes::pages::format::money;
use crate::routes::pages::html::{html, see_other};

/// One field of an action's form.
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    /// `text`, `textarea` or `select`.
    pub(crate) kind: &'static str,
    pub(crate) value: String,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) hint: Option<String>,
    pub(crate) error: Option<String>,
}

impl Field {
    fn text(name: &'static str, label: &'static str, value: String) -> Self {
        Field {
            name,
            label,
            kind: "text",
            value,
            options: Vec::new(),
            hint: None,
            error: None,
        }
    }

    fn textarea(name: &'static str, label: &'static str, value: String) -> Self {
        Field {
            kind: "textarea",
            ..Field::text(name, label, value)
        }
    }
}

#[derive(Template)]
#[template(path = "admin/action.html")]
struct ActionPage {
    bar: Bar,
    title: String,
    facts: Vec<(String, String)>,
    notices: Vec<String>,
    status: u16,
    allowed: bool,
    action: String,
    fields: Vec<Field>,
    button: &'static str,
    back: String,
}

/// What differs between the action pages.
struct Screen {
    title: String,
    facts: Vec<(String, String)>,
    notices: Vec<String>,
    allowed: bool,
    action: String,
    fields: Vec<Field>,
    button: &'static str,
    back: String,
}

fn render(
    req: &HttpRequest,
    csrf: &Csrf,
    who: &SignedIn,
    screen: Screen,
    status: StatusCode,
) -> Result<HttpResponse, AdminError> {
    page::answer_with(status, req, csrf, who, |bar, _| ActionPage {
        bar,
        title: screen.title,
        facts: screen.facts,
        notices: screen.notices,
        status: status.as_u16(),
        allowed: screen.allowed,
        action: screen.action,
        fields: screen.fields,
        button: screen.button,
        back: screen.back,
    })
}

/// The back-office page of an invoice, where every action returns.
fn invoice_page(public_id: &str) -> String {
    format!("/admin/invoices/{public_id}")
}

fn payment_facts(p: &PaymentTarget) -> Vec<(String, String)> {
    let mut facts = vec![
        ("Payment".to_owned(), p.reference.to_string()),
        ("Gateway".to_owned(), p.gateway.to_string()),
        ("State".to_owned(), p.status.to_string()),
        ("Amount".to_owned(), money(&p.amount)),
        ("Refunded so far".to_owned(), money(&p.refunded)),
        (
            "Invoice".to_owned(),
            format!("{} ({})", p.invoice_number, p.invoice_status),
        ),
    ];
    if let Some(reason) = &p.review_reason {
        facts.push(("Why under review".to_owned(), reason.clone()));
    }
    facts
}

/// A refusal the person can act on, as a page: 404, 409, 422 (the form again, from `again`);
/// anything else as the site's error page.
fn refusal(
    e: AppError,
    again: impl FnOnce(BTreeMap<String, String>) -> Result<HttpResponse, AdminError>,
) -> Result<HttpResponse, AdminError> {
    let (status, title, line) = match e {
        AppError::Validation(fields) => return again(fields),
        AppError::Conflict(message) => (StatusCode::CONFLICT, "Not possible now", message),
        AppError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            "Not found",
            format!("No such {what}."),
        ),
        other => return Err(AdminError::from(ApiError::from(other))),
    };
    let page = AdminErrorPage {
        status: status.as_u16(),
        title,
        lines: vec![line],
        back_href: super::session::HOME,
        back_label: "Back to the dashboard",
    };
    let body = page.render().map_err(AdminError::internal)?;
    Ok(html(status, body))
}

/// The fields of `errors` onto the form's `fields`; the rest as notices.
fn with_errors(screen: &mut Screen, errors: BTreeMap<String, String>) {
    for (name, message) in errors {
        match screen.fields.iter_mut().find(|f| f.name == name) {
            Some(f) => f.error = Some(message),
            None => screen.notices.push(format!("{name}: {message}")),
        }
    }
}

/// A refusal with no form to show again.
fn refused(e: AppError) -> Result<HttpResponse, AdminError> {
    refusal(e, |_| Err(AdminError::internal(anyhow::anyhow!("no form"))))
}

/// Loads payment `id` and answers what `then` makes of it, or the refusal (404) as a page.
async fn with_payment(
    app: &UseCases,
    id: &str,
    then: impl FnOnce(PaymentTarget) -> Result<HttpResponse, AdminError>,
) -> Result<HttpResponse, AdminError> {
    match app.payment_target(id).await {
        Ok(p) => then(p),
        Err(e) => refused(e),
    }
}

/// The form, its CSRF field checked (403 otherwise).
fn form(
    req: &HttpRequest,
    csrf: &Csrf,
    body: Result<FormFields, ApiError>,
) -> Result<serde_json::Map<String, serde_json::Value>, AdminError> {
    let FormFields(mut map) = body?;
    check_csrf(csrf, req, &mut map)?;
    Ok(map)
}

// ---------------------------------------------------------------- recheck (staff)

fn recheck_screen(p: &PaymentTarget) -> Screen {
    let allowed = p.can_recheck();
    Screen {
        title: format!("Recheck payment {}", p.reference),
        facts: payment_facts(p),
        notices: vec![if allowed {
            format!(
                "This asks {} about the payment now and applies its answer, exactly as `ops reconcile` does.",
                p.gateway
            )
        } else {
            format!(
                "The payment is {}: the gateway's word can no longer change it.",
                p.status
            )
        }],
        allowed,
        action: format!("/admin/payments/{}/recheck", p.reference),
        fields: Vec::new(),
        button: "Recheck now",
        back: invoice_page(p.invoice_public_id.as_str()),
    }
}

/// `GET /admin/payments/{id}/recheck`
pub async fn recheck_form(
    req: HttpRequest,
    StaffSession(who): StaffSession,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
) -> Result<HttpResponse, AdminError> {
    with_payment(&app, &path, |p| {
        render(&req, &csrf, &who, recheck_screen(&p), StatusCode::OK)
    })
    .await
}

/// `POST /admin/payments/{id}/recheck`
pub async fn recheck(
    req: HttpRequest,
    StaffSession(who): StaffSession,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    form(&req, &csrf, body)?;
    let actor = Actor::staff(&who, client_address(&req));
    match app.recheck_payment(&path, &actor).await {
        Ok((p, _)) => Ok(see_other(&invoice_page(p.invoice_public_id.as_str()))),
        Err(e) => refused(e),
    }
}

// ---------------------------------------------------------------- refund (admin)

fn refund_screen(p: &PaymentTarget, amount: String, reason: String, external: String) -> Screen {
    let left = p.refundable_minor();
    let allowed = left > 0;
    let mut fields = vec![
        Field {
            hint: Some(format!(
                "In {}; at most {} (what was paid and not yet refunded).",
                p.amount.currency(),
                Money::from_minor(left, p.amount.currency())
                    .map(|m| m.to_decimal_string())
                    .unwrap_or_default()
            )),
            ..Field::text("amount", "Amount to refund", amount)
        },
        Field::textarea("reason", "Reason", reason),
    ];
    let notice = match p.gateway {
        Gateway::Pesapal => {
            "Pesapal is asked to refund (RefundRequest). It takes one refund per payment; a mobile-money payment can only be refunded in full; an accepted request waits for the merchant's approval at Pesapal."
        }
        Gateway::AzamPay => {
            fields.push(Field {
                hint: Some("AzamPay has no refund call: make the refund yourself, then record it here with its reference.".to_owned()),
                ..Field::text("external_reference", "Reference of the refund you made", external)
            });
            "AzamPay has no refund call: this records a refund made outside."
        }
    };
    Screen {
        title: format!("Refund payment {}", p.reference),
        facts: payment_facts(p),
        notices: if allowed {
            vec![notice.to_owned()]
        } else {
            vec![format!(
                "Nothing can be refunded of this payment ({}).",
                p.status
            )]
        },
        allowed,
        action: format!("/admin/payments/{}/refund", p.reference),
        fields,
        button: "Refund",
        back: invoice_page(p.invoice_public_id.as_str()),
    }
}

/// `GET /admin/payments/{id}/refund`
pub async fn refund_form(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
) -> Result<HttpResponse, AdminError> {
    with_payment(&app, &path, |p| {
        let left = Money::from_minor(p.refundable_minor(), p.amount.currency())
            .map(|m| m.to_decimal_string())
            .unwrap_or_default();
        let screen = refund_screen(&p, left, String::new(), String::new());
        render(&req, &csrf, &who, screen, StatusCode::OK)
    })
    .await
}

/// `POST /admin/payments/{id}/refund` with `amount`, `reason` (and `external_reference` for
/// AzamPay).
pub async fn refund(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let map = form(&req, &csrf, body)?;
    let (amount, reason, external) = (
        typed(&map, "amount"),
        typed(&map, "reason"),
        typed(&map, "external_reference"),
    );
    let actor = Actor::staff(&who, client_address(&req));
    let input = RefundInput {
        amount: &amount,
        reason: &reason,
        external_reference: Some(external.as_str()),
    };
    match app.refund_payment(&path, &input, &actor).await {
        Ok(done) if done.state == RefundState::Refused => {
            let mut screen = refund_screen(&done.payment, amount, reason, external);
            screen.notices = vec![format!(
                "Pesapal refused the refund: {}",
                done.answer.unwrap_or_default()
            )];
            render(&req, &csrf, &who, screen, StatusCode::BAD_GATEWAY)
        }
        Ok(done) => Ok(see_other(&invoice_page(
            done.payment.invoice_public_id.as_str(),
        ))),
        Err(e) => {
            with_payment(&app, &path, |p| {
                refusal(e, |errors| {
                    let mut screen = refund_screen(&p, amount, reason, external);
                    screen.allowed = true;
                    with_errors(&mut screen, errors);
                    render(&req, &csrf, &who, screen, StatusCode::UNPROCESSABLE_ENTITY)
                })
            })
            .await
        }
    }
}

// ---------------------------------------------------------------- resolve (admin)

fn resolve_screen(p: &PaymentTarget, decision: String, note: String) -> Screen {
    let allowed = p.status == wetech_domain::AttemptStatus::Review;
    Screen {
        title: format!("Resolve the review of payment {}", p.reference),
        facts: payment_facts(p),
        notices: vec![if allowed {
            "Completed: the money belongs to this invoice, which becomes paid (not possible when another payment already paid it: refund this one instead). Failed: this payment did not pay the invoice; a pending invoice goes back to unpaid.".to_owned()
        } else {
            format!("The payment is {}, not under review.", p.status)
        }],
        allowed,
        action: format!("/admin/payments/{}/resolve", p.reference),
        fields: vec![
            Field {
                kind: "select",
                options: vec![
                    (
                        "completed".to_owned(),
                        "Completed — the money arrived for this invoice".to_owned(),
                    ),
                    (
                        "failed".to_owned(),
                        "Failed — it did not pay this invoice".to_owned(),
                    ),
                ],
                ..Field::text("decision", "Decision", decision)
            },
            Field::textarea("note", "Note (required)", note),
        ],
        button: "Resolve",
        back: invoice_page(p.invoice_public_id.as_str()),
    }
}

/// `GET /admin/payments/{id}/resolve`
pub async fn resolve_form(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
) -> Result<HttpResponse, AdminError> {
    with_payment(&app, &path, |p| {
        let screen = resolve_screen(&p, "failed".to_owned(), String::new());
        render(&req, &csrf, &who, screen, StatusCode::OK)
    })
    .await
}

/// `POST /admin/payments/{id}/resolve` with `decision` (`completed` | `failed`) and `note`.
pub async fn resolve(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let map = form(&req, &csrf, body)?;
    let (decision_text, note) = (typed(&map, "decision"), typed(&map, "note"));
    let actor = Actor::staff(&who, client_address(&req));
    let result = match decision_text.parse::<ReviewDecision>() {
        Ok(decision) => app.resolve_review(&path, decision, &note, &actor).await,
        Err(_) => Err(AppError::field("decision", "choose completed or failed")),
    };
    match result {
        Ok(p) => Ok(see_other(&invoice_page(p.invoice_public_id.as_str()))),
        Err(e) => {
            with_payment(&app, &path, |p| {
                refusal(e, |errors| {
                    let mut screen = resolve_screen(&p, decision_text, note);
                    with_errors(&mut screen, errors);
                    render(&req, &csrf, &who, screen, StatusCode::UNPROCESSABLE_ENTITY)
                })
            })
            .await
        }
    }
}

// ---------------------------------------------------------------- void (admin)

fn void_screen(inv: &InvoiceTarget) -> Screen {
    let allowed = inv.status == wetech_domain::InvoiceStatus::Unpaid;
    Screen {
        title: format!("Void invoice {}", inv.number),
        facts: vec![
            ("Invoice".to_owned(), inv.number.to_string()),
            ("Service".to_owned(), inv.service_name.clone()),
            ("Amount".to_owned(), money(&inv.amount)),
            ("State".to_owned(), inv.status.to_string()),
        ],
        notices: vec![if allowed {
            "A void invoice can never be paid. This cannot be undone.".to_owned()
        } else {
            format!(
                "Only an unpaid invoice can be voided; this one is {}.",
                inv.status
            )
        }],
        allowed,
        action: format!("/admin/invoices/{}/void", inv.public_id),
        fields: Vec::new(),
        button: "Void the invoice",
        back: invoice_page(inv.public_id.as_str()),
    }
}

/// `GET /admin/invoices/{public_id}/void`
pub async fn void_form(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
) -> Result<HttpResponse, AdminError> {
    match app.invoice_target(&path).await {
        Ok(inv) => render(&req, &csrf, &who, void_screen(&inv), StatusCode::OK),
        Err(e) => refused(e),
    }
}

/// `POST /admin/invoices/{public_id}/void`
pub async fn void(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    path: web::Path<String>,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    form(&req, &csrf, body)?;
    let actor = Actor::staff(&who, client_address(&req));
    match app.void_invoice(&path, &actor).await {
        Ok(inv) => Ok(see_other(&invoice_page(inv.public_id.as_str()))),
        Err(e) => refused(e),
    }
}
