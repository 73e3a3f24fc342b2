//! `GET /admin/invoices` (the list: state filter over every invoice state, search over the
//! number, the client's e-mail and name and the attempts' merchant references, 50 a page) and
//! `GET /admin/invoices/{public_id}` (the invoice, its client, every attempt with its state
//! history and its raw gateway events).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use wetech_app::BackOffice;
use wetech_app::backoffice::AttemptRecord;
use wetech_domain::{Currency, InvoiceStatus, Money, PublicId};
use wetech_persistence::events::EventRow;
use wetech_persistence::invoice_list::{InvoiceFilter, InvoiceListRow};

use super::dashboard::Bar;
use super::list_query::{ListQuery, Pager};
use super::session::{AdminError, StaffSession};
use super::{blocking, page};
use crate::csrf::Csrf;
use crate::error::ApiError;
use crate::routes::pages::format::{human_time, money};

/// The most characters of a raw gateway event shown on the invoice page (its full size is
/// noted beside it).
pub const MAX_PAYLOAD_CHARS: usize = 4000;

/// An amount in minor units as the pages show it (`TZS 500,000.00`).
pub(crate) fn amount(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).map_or_else(
        |_| format!("{currency} {minor} (minor units)"),
        |m| money(&m),
    )
}

/// An instant stored in UTC as the pages show it.
pub(crate) fn when(t: &chrono::NaiveDateTime) -> String {
    human_time(&t.and_utc())
}

/// An invoice as a line of a list (also used by the client's page).
pub(crate) struct InvoiceLine {
    pub(crate) public_id: String,
    pub(crate) number: String,
    pub(crate) status: &'static str,
    pub(crate) service: String,
    pub(crate) amount: String,
    pub(crate) issued: String,
    pub(crate) paid: String,
    pub(crate) client_id: i64,
    pub(crate) client_name: String,
    pub(crate) client_email: String,
}

impl From<InvoiceListRow> for InvoiceLine {
    fn from(r: InvoiceListRow) -> Self {
        InvoiceLine {
            amount: amount(r.amount_minor, r.currency),
            issued: when(&r.issued_at),
            paid: r.paid_at.as_ref().map(when).unwrap_or_default(),
            public_id: r.public_id,
            number: r.number,
            status: r.status.as_str(),
            service: r.service_name,
            client_id: r.client_id,
            client_name: r.client_name,
            client_email: r.client_email,
        }
    }
}

/// The status filter of the invoices list: every invoice state there is.
pub(crate) fn status_filter(query: &ListQuery) -> Result<Option<InvoiceStatus>, AdminError> {
    query.status(InvoiceStatus::ALL, InvoiceStatus::as_str)
}

#[derive(Template)]
#[template(path = "admin/invoices.html")]
struct InvoicesPage {
    bar: Bar,
    q: String,
    status: String,
    statuses: &'static [InvoiceStatus],
    invoices: Vec<InvoiceLine>,
    pager: Pager,
    csv_href: String,
}

/// `GET /admin/invoices`
pub async fn list(
    req: HttpRequest,
    StaffSession(who): StaffSession,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let query = ListQuery::of(&req)?;
    let status = status_filter(&query)?;
    let office = office.into_inner();
    let (q, number) = (query.search().map(str::to_owned), query.page);
    let page = blocking(move || {
        office.invoices_page(
            &InvoiceFilter {
                q: q.as_deref(),
                status,
                ..InvoiceFilter::default()
            },
            number,
        )
    })
    .await?;
    page::answer(&req, &csrf, &who, |bar, _| InvoicesPage {
        bar,
        pager: query.pager("/admin/invoices", page.has_next),
        csv_href: query.href("/admin/invoices.csv", 1),
        q: query.q,
        status: query.status,
        statuses: InvoiceStatus::ALL,
        invoices: page.rows.into_iter().map(InvoiceLine::from).collect(),
    })
}

struct HistoryView {
    at: String,
    from: &'static str,
    to: &'static str,
    cause: String,
}

struct EventView {
    at: String,
    kind: String,
    outcome: String,
    payload: String,
    size: usize,
    cut: bool,
}

impl From<EventRow> for EventView {
    fn from(e: EventRow) -> Self {
        let size = e.payload.len();
        let cut = e.payload.chars().count() > MAX_PAYLOAD_CHARS;
        EventView {
            at: when(&e.received_at),
            payload: e.payload.chars().take(MAX_PAYLOAD_CHARS).collect(),
            kind: e.kind,
            outcome: e.outcome,
            size,
            cut,
        }
    }
}

struct AttemptView {
    id: i64,
    reference: String,
    gateway: &'static str,
    status: &'static str,
    amount: String,
    started: String,
    updated: String,
    gateway_reference: String,
    confirmation_code: String,
    failure_reason: String,
    review_reason: String,
    history: Vec<HistoryView>,
    events: Vec<EventView>,
}

impl From<AttemptRecord> for AttemptView {
    fn from(r: AttemptRecord) -> Self {
        let a = r.attempt;
        AttemptView {
            id: a.id,
            reference: a.merchant_reference.as_str().to_owned(),
            gateway: a.gateway.as_str(),
            status: a.status.as_str(),
            amount: amount(a.amount_minor, a.currency),
            started: when(&a.created_at),
            updated: when(&a.updated_at),
            gateway_reference: a.gateway_reference.unwrap_or_default(),
            confirmation_code: a.confirmation_code.unwrap_or_default(),
            failure_reason: a.failure_reason.unwrap_or_default(),
            review_reason: a.review_reason.unwrap_or_default(),
            history: r
                .history
                .into_iter()
                .map(|h| HistoryView {
                    at: when(&h.at),
                    from: h.from.map_or("", |s| s.as_str()),
                    to: h.to.as_str(),
                    cause: h.cause,
                })
                .collect(),
            events: r.events.into_iter().map(EventView::from).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/invoice.html")]
struct InvoicePage {
    bar: Bar,
    public_id: String,
    number: String,
    status: &'static str,
    service: String,
    amount: String,
    issued: String,
    paid: String,
    lead_id: Option<i64>,
    client_id: i64,
    client_name: String,
    client_email: String,
    client_phone: String,
    attempts: Vec<AttemptView>,
}

/// `GET /admin/invoices/{public_id}`
pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    StaffSession(who): StaffSession,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let no_such = || AdminError::from(ApiError::NotFound("no such invoice".to_owned()));
    let public_id = PublicId::parse(&path).map_err(|_| no_such())?;
    let office = office.into_inner();
    let record = blocking(move || office.invoice_record(public_id.as_str()))
        .await?
        .ok_or_else(no_such)?;
    let (i, c) = (record.invoice, record.client);
    page::answer(&req, &csrf, &who, |bar, _| InvoicePage {
        bar,
        public_id: i.public_id.as_str().to_owned(),
        number: i.number.as_str().to_owned(),
        status: i.status.as_str(),
        service: i.service_name,
        amount: amount(i.amount_minor, i.currency),
        issued: when(&i.issued_at),
        paid: i.paid_at.as_ref().map(when).unwrap_or_default(),
        lead_id: i.lead_id,
        client_id: c.id,
        client_name: c.name,
        client_email: c.email.as_str().to_owned(),
        client_phone: c.phone.as_str().to_owned(),
        attempts: record.attempts.into_iter().map(AttemptView::from).collect(),
    })
}
