//! `GET /invoices/{id}`: the invoice, its payments, the pay forms while it can be paid; it
//! refreshes itself while a payment is pending. Also rendered by [`super::pay`] with a refusal.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use wetech_app::{InvoiceView, UseCases};
use wetech_domain::{AttemptStatus, Gateway, InvoiceStatus};
use wetech_payments::MobileProvider;

use super::errors::PageResult;
use super::form::{FormKind, Token, other_errors, query_param, translate_errors};
use super::format::{
    attempt_label, gateway_label, money_in, provider_label, status_label, time_in,
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
    let open_gateway = inv
        .payments
        .iter()
        .rev()
        .find(|p| match p.status {
            AttemptStatus::Initiated | AttemptStatus::Pending => true,
            AttemptStatus::Completed
            | AttemptStatus::Failed
            | AttemptStatus::Expired
            | AttemptStatus::Reversed
            | AttemptStatus::Review => false,
        })
        .map(|p| p.gateway);
    let (pending_azampay, pending_pesapal) = match open_gateway {
        Some(Gateway::AzamPay) => (true, false),
        Some(Gateway::Pesapal) => (false, true),
        None => (false, false),
    };
    let frame = Frame::for_request(req);
    let t = frame.t;
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
