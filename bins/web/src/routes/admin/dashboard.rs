//! `GET /admin/`: who is signed in and the figures of the dashboard.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use wetech_app::BackOffice;
use wetech_app::backoffice::SignedIn;

use super::blocking;
use super::session::{AdminError, StaffSession};
use crate::csrf::Csrf;
use crate::routes::pages::form::Token;
use crate::routes::pages::format::money;
use crate::routes::pages::html::html;

/// The signed-in bar of every back-office page (`templates/admin/bar.html`).
pub(crate) struct Bar {
    pub(crate) who_name: String,
    pub(crate) who_email: String,
    pub(crate) who_role: &'static str,
    pub(crate) who_is_admin: bool,
}

impl Bar {
    pub(crate) fn of(s: &SignedIn) -> Self {
        Bar {
            who_name: s.account.name.clone(),
            who_email: s.account.email.as_str().to_owned(),
            who_role: s.account.role.as_str(),
            who_is_admin: s.is_admin(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    who_name: String,
    who_email: String,
    who_role: &'static str,
    who_is_admin: bool,
    csrf_token: String,
    leads_today: i64,
    leads_7_days: i64,
    unpaid: Vec<String>,
    paid: Vec<String>,
}

/// `GET /admin/`
pub async fn dashboard(
    req: HttpRequest,
    StaffSession(who): StaffSession,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let office = office.into_inner();
    let d = blocking(move || office.dashboard()).await?;
    let token = Token::for_request(&csrf, &req);
    let bar = Bar::of(&who);
    let page = DashboardPage {
        who_name: bar.who_name,
        who_email: bar.who_email,
        who_role: bar.who_role,
        who_is_admin: bar.who_is_admin,
        csrf_token: token.value.clone(),
        leads_today: d.leads_today,
        leads_7_days: d.leads_7_days,
        unpaid: d.unpaid.iter().map(money).collect(),
        paid: d.paid_this_month.iter().map(money).collect(),
    };
    let body = page.render().map_err(AdminError::internal)?;
    Ok(token.attach(html(StatusCode::OK, body)))
}
