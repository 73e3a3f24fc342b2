//! The back office under `/admin/` (docs/back-office.md): sign-in, sessions, the dashboard and
//! the audit log. Every route of the scope answers with `Cache-Control: no-store` and
//! `X-Robots-Tag: noindex` (the scope's wrap, [`private_headers`], so a new page cannot forget
//! them); every page but the sign-in form takes a [`StaffSession`] (no valid session → 303 to
//! the sign-in form with `next`), and admin-only pages a [`RequireAdmin`] (403 for `staff`).
//!
//! | route | module |
//! |---|---|
//! | `GET /admin/login`, `POST /admin/login`, `POST /admin/logout` | [`login`] |
//! | `GET /admin/` — the dashboard | [`dashboard`] |
//! | `GET /admin/audit` — the audit log (admin) | [`audit`] |
//! | `GET /admin/leads`, `GET /admin/leads/{id}`, `POST /admin/leads/{id}/status` | [`leads`] |
//! | `GET /admin/clients/{id}` | [`clients`] |
//! | `GET /admin/invoices`, `GET /admin/invoices/{public_id}` | [`invoices`] |
//! | `GET /admin/payments?state=…` | [`payments`] |
//! | `GET /admin/leads.csv`, `GET /admin/invoices.csv` | [`export`] |
//! | the lists' query strings and page links | [`list_query`] |
//! | `GET`/`POST /admin/catalog` — the catalogue editor (admin) | [`catalog`] |
//! | `GET`/`POST /admin/payments/{id}/recheck|refund|resolve`, `/admin/invoices/{public_id}/void` | [`actions`] |
//! | how a page is answered (bar, token, template) | [`page`] |
//! | the session cookie, the extractors, `next`, the refusals | [`session`] |

pub mod actions;
pub mod audit;
pub mod catalog;
pub mod clients;
pub mod dashboard;
pub mod export;
pub mod invoices;
pub mod leads;
pub(crate) mod list_query;
pub mod login;
pub(crate) mod page;
pub mod payments;
pub mod session;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::web;

pub use session::{AdminError, RequireAdmin, StaffSession};

use crate::routes::methods::resource;

/// What the back office's routes need besides the use cases.
#[derive(Debug, Clone, Copy)]
pub struct AdminConfig {
    /// Mark the session cookie `Secure` (production).
    pub secure_cookies: bool,
    /// Take the client address from a trusted proxy's headers.
    pub trust_proxy: bool,
}

/// Mounts `/admin` (and `/admin` without the slash, a redirect to it).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(private_headers))
            .service(resource(
                "",
                [(
                    Method::GET,
                    web::to(|| async { crate::routes::pages::html::see_other("/admin/") }),
                )],
            ))
            .service(resource(
                "/",
                [(Method::GET, web::to(dashboard::dashboard))],
            ))
            .service(resource(
                "/login",
                [
                    (Method::GET, web::to(login::form)),
                    (Method::POST, web::to(login::submit)),
                ],
            ))
            .service(resource(
                "/logout",
                [(Method::POST, web::to(login::logout))],
            ))
            .service(resource("/audit", [(Method::GET, web::to(audit::audit))]))
            .service(resource("/leads", [(Method::GET, web::to(leads::list))]))
            .service(resource(
                "/leads/{id}",
                [(Method::GET, web::to(leads::show))],
            ))
            .service(resource(
                "/leads/{id}/status",
                [(Method::POST, web::to(leads::change_status))],
            ))
            .service(resource(
                "/leads.csv",
                [(Method::GET, web::to(export::leads))],
            ))
            .service(resource(
                "/clients/{id}",
                [(Method::GET, web::to(clients::show))],
            ))
            .service(resource(
                "/invoices",
                [(Method::GET, web::to(invoices::list))],
            ))
            .service(resource(
                "/invoices.csv",
                [(Method::GET, web::to(export::invoices))],
            ))
            .service(resource(
                "/invoices/{public_id}",
                [(Method::GET, web::to(invoices::show))],
            ))
            .service(resource(
                "/payments",
                [(Method::GET, web::to(payments::list))],
            ))
            .service(resource(
                "/catalog",
                [
                    (Method::GET, web::to(catalog::catalog_page)),
                    (Method::POST, web::to(catalog::edit)),
                ],
            ))
            .service(resource(
                "/payments/{id}/recheck",
                [
                    (Method::GET, web::to(actions::recheck_form)),
                    (Method::POST, web::to(actions::recheck)),
                ],
            ))
            .service(resource(
                "/payments/{id}/refund",
                [
                    (Method::GET, web::to(actions::refund_form)),
                    (Method::POST, web::to(actions::refund)),
                ],
            ))
            .service(resource(
                "/payments/{id}/resolve",
                [
                    (Method::GET, web::to(actions::resolve_form)),
                    (Method::POST, web::to(actions::resolve)),
                ],
            ))
            .service(resource(
                "/invoices/{public_id}/void",
                [
                    (Method::GET, web::to(actions::void_form)),
                    (Method::POST, web::to(actions::void)),
                ],
            ))
            .default_service(web::to(crate::routes::not_found)),
    );
}

/// Every `/admin` answer, errors and redirects included: never stored by a cache, never indexed.
pub async fn private_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    Ok(res)
}

/// Runs back-office work (database, password hashing) on the blocking pool, in the current span.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, AdminError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, wetech_app::backoffice::StaffError> + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(AdminError::internal)?
        .map_err(AdminError::from)
}
