//! `GET /admin/`: who is signed in and the figures of the dashboard.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use wetech_app::BackOffice;
use wetech_app::backoffice::SignedIn;

use super::session::{AdminError, StaffSession};
use super::{blocking, page};
use crate::csrf::Csrf;
use crate::routes::pages::form::Token;
use crate::routes::pages::format::money;

/// The signed-in bar of every back-office page (`templates/admin/bar.html`): who, and the
/// sign-out form's CSRF token.
pub(crate) struct Bar {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) role: &'static str,
    pub(crate) is_admin: bool,
    pub(crate) csrf_token: String,
}

impl Bar {
    pub(crate) fn of(s: &SignedIn, token: &Token) -> Self {
        Bar {
            name: s.account.name.clone(),
            email: s.account.email.as_str().to_owned(),
            role: s.account.role.as_str(),
            is_admin: s.is_admin(),
            csrf_token: token.value.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    bar: Bar,
    leads_today: i64,
    leads_7_days: i64,
    unpaid: Vec<String>,
    paid: Vec<String>,
    attempts_in_review: i64,
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
    page::answer(&req, &csrf, &who, |bar, _| DashboardPage {
        bar,
        leads_today: d.leads_today,
        leads_7_days: d.leads_7_days,
        unpaid: d.unpaid.iter().map(money).collect(),
        paid: d.paid_this_month.iter().map(money).collect(),
        attempts_in_review: d.attempts_in_review,
    })
}
