//! `GET /admin/audit[?before=ID]` (admin only): the audit log, newest first, 100 a page. The
//! site has no way to change it.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use wetech_app::BackOffice;

use super::blocking;
use super::dashboard::Bar;
use super::page;
use super::session::{AdminError, RequireAdmin};
use crate::csrf::Csrf;
use crate::routes::pages::form::query_param;
use crate::routes::pages::format::human_time;

/// Entries on one page.
const PAGE: i64 = 100;

struct Row {
    at: String,
    actor: String,
    client_address: String,
    action: String,
    subject: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    bar: Bar,
    entries: Vec<Row>,
    older: Option<i64>,
}

/// `GET /admin/audit`
pub async fn audit(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let before = query_param(&req, "before").and_then(|b| b.parse::<i64>().ok());
    let office = office.into_inner();
    let entries = blocking(move || office.audit_page(PAGE, before)).await?;
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    page::answer(&req, &csrf, &who, |bar, _| AuditPage {
        bar,
        entries: entries
            .into_iter()
            .map(|e| Row {
                at: human_time(&e.at),
                actor: e.actor,
                client_address: e.client_address.unwrap_or_default(),
                action: e.action,
                subject: e.subject.unwrap_or_default(),
                before: e.before.unwrap_or_default(),
                after: e.after.unwrap_or_default(),
            })
            .collect(),
        older,
    })
}
