//! `GET /admin/payments` — payment attempts by state, newest first, 50 a page;
//! `?state=review` lists those a person must look at.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use wetech_app::BackOffice;
use wetech_domain::AttemptStatus;
use wetech_persistence::invoice_list::AttemptListRow;

use super::dashboard::Bar;
use super::invoices::{amount, when};
use super::list_query::{ListQuery, Pager};
use super::session::{AdminError, StaffSession};
use super::{blocking, page};
use crate::csrf::Csrf;

struct AttemptLine {
    id: i64,
    reference: String,
    gateway: String,
    status: &'static str,
    amount: String,
    review_reason: String,
    started: String,
    updated: String,
    invoice_public_id: String,
    invoice_number: String,
    client_name: String,
}

impl From<AttemptListRow> for AttemptLine {
    fn from(r: AttemptListRow) -> Self {
        AttemptLine {
            id: r.id,
            amount: amount(r.amount_minor, r.currency),
            started: when(&r.created_at),
            updated: when(&r.updated_at),
            reference: r.merchant_reference,
            gateway: r.gateway,
            status: r.status.as_str(),
            review_reason: r.review_reason.unwrap_or_default(),
            invoice_public_id: r.invoice_public_id,
            invoice_number: r.invoice_number,
            client_name: r.client_name,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/payments.html")]
struct PaymentsPage {
    bar: Bar,
    state: String,
    states: &'static [AttemptStatus],
    attempts: Vec<AttemptLine>,
    pager: Pager,
}

/// `GET /admin/payments?state=…` (any state when absent; an unknown one is the 400 page).
pub async fn list(
    req: HttpRequest,
    StaffSession(who): StaffSession,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let query = ListQuery::with_filter(&req, "state")?;
    let state = query.status(AttemptStatus::ALL, AttemptStatus::as_str)?;
    let office = office.into_inner();
    let number = query.page;
    let page = blocking(move || office.attempts_page(state, number)).await?;
    page::answer(&req, &csrf, &who, |bar, _| PaymentsPage {
        bar,
        pager: query.pager("/admin/payments", page.has_next),
        state: query.status,
        states: AttemptStatus::ALL,
        attempts: page.rows.into_iter().map(AttemptLine::from).collect(),
    })
}
