//! `GET /admin/clients/{id}` — the client with their leads and invoices, newest first.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use wetech_app::BackOffice;

use super::dashboard::Bar;
use super::invoices::{InvoiceLine, when};
use super::leads::{LeadLine, path_id};
use super::session::{AdminError, StaffSession};
use super::{blocking, page};
use crate::csrf::Csrf;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "admin/client.html")]
struct ClientPage {
    bar: Bar,
    id: i64,
    name: String,
    email: String,
    phone: String,
    company: String,
    since: String,
    leads: Vec<LeadLine>,
    invoices: Vec<InvoiceLine>,
}

/// `GET /admin/clients/{id}`
pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    StaffSession(who): StaffSession,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let id = path_id(&path)?;
    let office = office.into_inner();
    let record = blocking(move || office.client_record(id))
        .await?
        .ok_or_else(|| AdminError::from(ApiError::NotFound("no such client".to_owned())))?;
    let c = record.client;
    page::answer(&req, &csrf, &who, |bar, _| ClientPage {
        bar,
        id: c.id,
        since: when(&c.created_at),
        name: c.name,
        email: c.email.as_str().to_owned(),
        phone: c.phone.as_str().to_owned(),
        company: c.company.unwrap_or_default(),
        leads: record.leads.into_iter().map(LeadLine::from).collect(),
        invoices: record.invoices.into_iter().map(InvoiceLine::from).collect(),
    })
}
