//! `GET /admin/leads` (the list: search, status filter, 50 a page), `GET /admin/leads/{id}` (one
//! lead with its client, message, invoice and status history) and `POST /admin/leads/{id}/status`
//! (a new status with a note; staff may do it).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::Value;
use wetech_app::BackOffice;
use wetech_app::backoffice::Actor;
use wetech_domain::LeadSalesStatus;
use wetech_persistence::lead_list::{LeadFilter, LeadListRow};

use super::dashboard::Bar;
use super::list_query::{ListQuery, Pager};
use super::session::{AdminError, StaffSession, client_address};
use super::{blocking, page};
use crate::csrf::Csrf;
use crate::error::ApiError;
use crate::extract::FormFields;
use crate::routes::pages::form::check_csrf;
use crate::routes::pages::format::human_time;
use crate::routes::pages::html::see_other;

/// The longest note on a status change, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// A lead as a line of a list (also used by the client's page).
pub(crate) struct LeadLine {
    pub(crate) id: i64,
    pub(crate) at: String,
    pub(crate) status: &'static str,
    pub(crate) client_id: i64,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) company: String,
    pub(crate) service: String,
    pub(crate) invoice_number: String,
    pub(crate) invoice_public_id: String,
}

impl From<LeadListRow> for LeadLine {
    fn from(r: LeadListRow) -> Self {
        LeadLine {
            id: r.id,
            at: human_time(&r.created_at.and_utc()),
            status: r.sales_status.as_str(),
            client_id: r.client_id,
            name: r.client_name,
            email: r.client_email,
            phone: r.client_phone,
            company: r.client_company.unwrap_or_default(),
            service: r.service_name,
            invoice_number: r.invoice_number.unwrap_or_default(),
            invoice_public_id: r.invoice_public_id.unwrap_or_default(),
        }
    }
}

/// The status filter of the leads list.
pub(crate) fn status_filter(query: &ListQuery) -> Result<Option<LeadSalesStatus>, AdminError> {
    query.status(LeadSalesStatus::ALL, LeadSalesStatus::as_str)
}

#[derive(Template)]
#[template(path = "admin/leads.html")]
struct LeadsPage {
    bar: Bar,
    q: String,
    status: String,
    statuses: &'static [LeadSalesStatus],
    leads: Vec<LeadLine>,
    pager: Pager,
    csv_href: String,
}

/// `GET /admin/leads`
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
        office.leads_page(
            &LeadFilter {
                q: q.as_deref(),
                status,
                client_id: None,
                before_id: None,
            },
            number,
        )
    })
    .await?;
    page::answer(&req, &csrf, &who, |bar, _| LeadsPage {
        bar,
        pager: query.pager("/admin/leads", page.has_next),
        csv_href: query.href("/admin/leads.csv", 1),
        q: query.q,
        status: query.status,
        statuses: LeadSalesStatus::ALL,
        leads: page.rows.into_iter().map(LeadLine::from).collect(),
    })
}

/// A record id from the path: digits naming a row, else the 404 page.
pub(crate) fn path_id(raw: &str) -> Result<i64, AdminError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0 && raw.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::NotFound("no such page".to_owned()).into())
}

struct HistoryRow {
    at: String,
    who: String,
    from: &'static str,
    to: &'static str,
    note: String,
}

#[derive(Template)]
#[template(path = "admin/lead.html")]
struct LeadPage {
    bar: Bar,
    lead: LeadLine,
    message: String,
    history: Vec<HistoryRow>,
    statuses: &'static [LeadSalesStatus],
    csrf_token: String,
    max_note: usize,
}

/// `GET /admin/leads/{id}`
pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    StaffSession(who): StaffSession,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let id = path_id(&path)?;
    let office = office.into_inner();
    let record = blocking(move || office.lead_record(id))
        .await?
        .ok_or_else(|| AdminError::from(ApiError::NotFound("no such lead".to_owned())))?;
    let message = record.lead.message.clone().unwrap_or_default();
    page::answer(&req, &csrf, &who, |bar, token| LeadPage {
        bar,
        csrf_token: token.value.clone(),
        lead: LeadLine::from(record.lead),
        message,
        history: record
            .history
            .into_iter()
            .map(|h| HistoryRow {
                at: human_time(&h.at.and_utc()),
                who: format!("{} ({})", h.staff_name, h.staff_email),
                from: h.from_status.as_str(),
                to: h.to_status.as_str(),
                note: h.note.unwrap_or_default(),
            })
            .collect(),
        statuses: LeadSalesStatus::ALL,
        max_note: MAX_NOTE_CHARS,
    })
}

/// `POST /admin/leads/{id}/status` with `status`, `note` and `csrf_token`: 303 back to the lead.
pub async fn change_status(
    req: HttpRequest,
    path: web::Path<String>,
    StaffSession(who): StaffSession,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let id = path_id(&path)?;
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    let status = match map.get("status") {
        Some(Value::String(s)) => LeadSalesStatus::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s.trim()),
        _ => None,
    }
    .ok_or_else(|| ApiError::field("status", "choose one of the sales statuses"))?;
    let note = match map.get("note") {
        None => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|n| !n.is_empty()),
        Some(_) => return Err(ApiError::field("note", "text only").into()),
    };
    if note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(ApiError::field("note", "at most 2000 characters").into());
    }
    let actor = Actor::staff(&who, client_address(&req));
    let office = office.into_inner();
    blocking(move || office.change_lead_status(id, status, note.as_deref(), &actor)).await?;
    Ok(see_other(&format!("/admin/leads/{id}")))
}
