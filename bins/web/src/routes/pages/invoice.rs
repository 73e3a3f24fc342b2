//! `GET /invoices/{id}`: the invoice, its payments, the pay forms while it can be paid; it
//! refreshes itself while a payment is pending (`?refresh=off` turns that off, a link on the page:
//! WCAG 2.2.1 lets the person stop a timed reload). Also rendered by [`super::pay`] with a refusal.
//!
//! What the customer is told: a failed last attempt ("did not go through, nothing was charged")
//! at the top; while an AzamPay push is pending, the number it went to (masked) and how long it
//! stays valid, and — until `checkout.retry_after_secs` has passed, when the server would refuse
//! another push with 409 — no pay forms, only when they come back.

use std::collections::BTreeMap;

use chrono::Utc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use wetech_app::{InvoiceView, UseCases};
use wetech_domain::{AttemptStatus, Gateway, InvoiceStatus};
use wetech_payments::MobileProvider;

use super::errors::PageResult;
use super::form::{FormKind, Token, other_errors, query_param, translate_errors};
use super::format::{
    attempt_label, gateway_label, masked_phone, money_in, provider_label, status_label, time_in,
};
use super::frame::Frame;
use super::html::render;
use crate::csrf::Csrf;
use crate::extract::InvoiceId;

/// The simulator's AzamPay "phone" page (mounted only in simulator mode).
const SIMULATOR_PHONE_PAGE: &str = "/_simulator/azampay/phone";

/// The AzamPay form's values as typed.
#[derive(Default)]
pub struct PayForm {
    /// The phone as typed.
    pub phone: String,
    /// The provider as chosen.
    pub provider: String,
}

/// `?refresh=off`: the page does not reload itself.
const REFRESH_PARAM: &str = "refresh";

/// The fields the invoice page shows messages for next to them.
const PAY_FIELDS: [&str; 4] = ["gateway", "payment", "phone", "provider"];

/// A message box above the invoice.
pub struct Notice {
    /// `success`, `info`, `warn` or `error` (the CSS class).
    pub kind: &'static str,
    /// Its paragraphs.
    pub lines: Vec<String>,
}

struct ProviderOption {
    value: &'static str,
    label: &'static str,
}

struct PaymentRow {
    created_at: String,
    gateway: &'static str,
    status: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage<'a> {
    frame: Frame,
    inv: &'a InvoiceView,
    title: String,
    amount: String,
    status_label: String,
    issued: String,
    paid: Option<String>,
    paid_body: String,
    pesapal_button: String,
    payments: Vec<PaymentRow>,
    notice: Option<&'a Notice>,
    can_pay: bool,
    /// Paid or refunded: the page links to the receipt (PDF).
    has_receipt: bool,
    pending: bool,
    refresh: bool,
    refresh_href: String,
    failed: bool,
    /// Back from Pesapal's page by its cancel link (`?cancelled=1`), the invoice not paid.
    cancelled: bool,
    push_sent_to: Option<String>,
    other_way_later: Option<String>,
    pending_azampay: bool,
    pending_pesapal: bool,
    simulator: bool,
    pesapal_enabled: bool,
    azampay_enabled: bool,
    providers: Vec<ProviderOption>,
    pay: &'a PayForm,
    errors: BTreeMap<String, String>,
    other_errors: Vec<(String, String)>,
    csrf_token: &'a str,
}

/// Everything that varies between renderings of one invoice.
#[derive(Default)]
pub struct InvoiceExtras {
    /// A message above the invoice.
    pub notice: Option<Notice>,
    /// The AzamPay form as typed.
    pub pay: PayForm,
    /// Messages by field.
    pub errors: BTreeMap<String, String>,
}

/// Renders the invoice page with `status`.
pub fn render_invoice(
    req: &HttpRequest,
    app: &UseCases,
    csrf: &Csrf,
    inv: &InvoiceView,
    extras: &InvoiceExtras,
    status: StatusCode,
) -> PageResult {
    let token = Token::for_request(csrf, req);
    let (can_pay, pending) = match inv.status {
        InvoiceStatus::Unpaid => (true, false),
        InvoiceStatus::Pending => (true, true),
        InvoiceStatus::Paid
        | InvoiceStatus::Reversed
        | InvoiceStatus::Void
        | InvoiceStatus::Refunded => (false, false),
    };
    let open_attempt = inv.payments.iter().rev().find(|p| match p.status {
        AttemptStatus::Initiated | AttemptStatus::Pending => true,
        AttemptStatus::Completed
        | AttemptStatus::Failed
        | AttemptStatus::Expired
        | AttemptStatus::Reversed
        | AttemptStatus::Review => false,
    });
    let (pending_azampay, pending_pesapal) = match open_attempt.map(|p| p.gateway) {
        Some(Gateway::AzamPay) => (true, false),
        Some(Gateway::Pesapal) => (false, true),
        None => (false, false),
    };
    let frame = Frame::for_request(req);
    let t = frame.t;
    let checkout = app.checkout_settings();
    let push = open_attempt.filter(|_| pending && pending_azampay);
    let push_sent_to = push.and_then(|p| p.payer_phone.as_deref()).map(|phone| {
        t.text_with(
            "invoice-push-sent-to",
            &[
                ("phone", masked_phone(phone).into()),
                (
                    "minutes",
                    checkout.azampay_expire_after_secs.div_ceil(60).into(),
                ),
            ],
        )
    });
    // Seconds until the server takes another attempt (it refuses a second push earlier).
    let wait_secs = push.map_or(0, |p| {
        let retry_at = p.updated_at
            + chrono::Duration::seconds(
                i64::try_from(checkout.retry_after_secs).unwrap_or(i64::MAX),
            );
        u64::try_from((retry_at - Utc::now()).num_seconds()).unwrap_or(0)
    });
    let other_way_later = (wait_secs > 0).then(|| {
        t.text_with(
            "pay-other-later",
            &[("minutes", wait_secs.div_ceil(60).into())],
        )
    });
    let refresh_off = query_param(req, REFRESH_PARAM).is_some_and(|v| v == "off");
    let failed = inv.status == InvoiceStatus::Unpaid
        && inv
            .payments
            .last()
            .is_some_and(|p| p.status == AttemptStatus::Failed);
    // Only a statement of what the customer did, never of the money: shown while the invoice
    // is unpaid or its payment still open, and not beside a failure, which says it already.
    let cancelled = !failed
        && matches!(inv.status, InvoiceStatus::Unpaid | InvoiceStatus::Pending)
        && query_param(req, wetech_app::paths::CANCELLED_PARAM).is_some_and(|v| v == "1");
    let amount = money_in(t, &inv.amount);
    let paid = inv.paid_at.as_ref().map(|at| time_in(t, at));
    let errors = translate_errors(t, &extras.errors, FormKind::Pay);
    let page = InvoicePage {
        frame,
        inv,
        title: t.text_with(
            "invoice-title",
            &[("number", inv.number.to_string().into())],
        ),
        pesapal_button: t.text_with("pay-pesapal-button", &[("amount", amount.clone().into())]),
        amount,
        status_label: status_label(t, inv.status),
        issued: time_in(t, &inv.issued_at),
        paid_body: match &paid {
            Some(date) => t.text_with("invoice-paid-body", &[("date", date.clone().into())]),
            None => t.text("invoice-paid-body-undated"),
        },
        paid,
        payments: inv
            .payments
            .iter()
            .map(|p| PaymentRow {
                created_at: time_in(t, &p.created_at),
                gateway: gateway_label(p.gateway),
                status: attempt_label(t, p.status),
                amount: money_in(t, &p.amount),
            })
            .collect(),
        notice: extras.notice.as_ref(),
        can_pay,
        has_receipt: matches!(inv.status, InvoiceStatus::Paid | InvoiceStatus::Refunded),
        pending,
        // Nothing to wait for after a cancel: the page stays as it is (and keeps its notice).
        refresh: pending && !refresh_off && !cancelled,
        refresh_href: if refresh_off {
            format!("{}?{REFRESH_PARAM}=off", req.path())
        } else {
            req.path().to_owned()
        },
        failed,
        cancelled,
        push_sent_to,
        other_way_later,
        pending_azampay,
        pending_pesapal,
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
        other_errors: other_errors(&errors, &PAY_FIELDS),
        errors,
        csrf_token: &token.value,
    };
    let resp = render(&page, status)?;
    Ok(token.attach(resp))
}

/// `GET /invoices/{id}` (`?sent=1` after an AzamPay push was sent).
pub async fn invoice(
    req: HttpRequest,
    app: web::Data<UseCases>,
    csrf: web::Data<Csrf>,
    id: Result<InvoiceId, crate::error::ApiError>,
) -> PageResult {
    let inv = app.invoice(&id?.0).await?;
    let mut extras = InvoiceExtras::default();
    if inv.status == InvoiceStatus::Pending && query_param(&req, "sent").is_some_and(|v| v == "1") {
        let t = crate::language::of(&req);
        extras.notice = Some(Notice {
            kind: "success",
            lines: vec![t.text("pay-sent"), t.text("pay-sent-pin")],
        });
    }
    render_invoice(&req, &app, &csrf, &inv, &extras, StatusCode::OK)
}
