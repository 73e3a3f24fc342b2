//! The session cookie, the extractors every `/admin/` route uses, the `next` rule, and the
//! refusals (303 to sign in, 403) as responses.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use wetech_app::BackOffice;
use wetech_app::backoffice::{SignedIn, StaffError};

use super::{AdminConfig, blocking};
use crate::error::ApiError;
use crate::routes::pages::PageError;
use crate::routes::pages::html::html;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "wetech_admin";
/// Where a signed-in person goes when `next` names nowhere acceptable.
pub const HOME: &str = "/admin/";

/// The session cookie carrying `token`: `HttpOnly; SameSite=Strict; Path=/admin`, `Secure` in
/// production, gone when the browser closes.
#[must_use]
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE_NAME, token.to_owned())
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The cookie that removes the session cookie.
#[must_use]
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie("", secure);
    c.make_removal();
    c
}

/// `next` when it is a path of the back office (`/admin`, `/admin/…`, `/admin?…`) written in
/// plain visible ASCII without a backslash; anything else — `//evil`, `/\evil`, an absolute URL,
/// a path elsewhere on the site — is not followed.
///
/// ```
/// use wetech_web::routes::admin::session::local_next;
/// assert_eq!(local_next("/admin/leads?q=juma"), Some("/admin/leads?q=juma"));
/// assert_eq!(local_next("//evil.example/admin/"), None);
/// assert_eq!(local_next("https://evil.example/admin/"), None);
/// ```
#[must_use]
pub fn local_next(next: &str) -> Option<&str> {
    let rest = next.strip_prefix("/admin")?;
    let in_scope = rest.is_empty() || rest.starts_with('/') || rest.starts_with('?');
    let plain = next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !rest.starts_with("//");
    (in_scope && plain).then_some(next)
}

/// The client address of `req`, as the request log and the rate limiter see it.
pub(crate) fn client_address(req: &HttpRequest) -> Option<String> {
    let trust_proxy = req
        .app_data::<web::Data<AdminConfig>>()
        .is_some_and(|c| c.trust_proxy);
    wetech_observability::client_ip(req, trust_proxy).map(|ip| ip.to_string())
}

/// Why an `/admin/` request was not served.
pub enum AdminError {
    /// No valid session: 303 to the sign-in form, coming back to `next`.
    SignIn {
        /// The path and query asked for.
        next: String,
    },
    /// Signed in, but the role may not do this: 403.
    Forbidden,
    /// Any other error, as the site's HTML error page.
    Page(PageError),
}

impl AdminError {
    pub(crate) fn internal(e: impl Into<anyhow::Error>) -> Self {
        AdminError::Page(PageError::from(ApiError::internal(e)))
    }
}

impl From<StaffError> for AdminError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::BadQuery(_) => ApiError::Malformed(e.to_string()).into(),
            StaffError::NoSuchLead => ApiError::NotFound("no such lead".to_owned()).into(),
            other => AdminError::internal(other),
        }
    }
}

impl From<ApiError> for AdminError {
    fn from(e: ApiError) -> Self {
        AdminError::Page(PageError::from(e))
    }
}

impl fmt::Debug for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::SignIn { next } => write!(f, "sign in first (next {next:?})"),
            AdminError::Forbidden => f.write_str("forbidden for this role"),
            AdminError::Page(e) => fmt::Debug::fmt(e, f),
        }
    }
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::SignIn { .. } => f.write_str("sign in first"),
            AdminError::Forbidden => f.write_str("not allowed for this role"),
            AdminError::Page(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// The site's error page with words of our own (the same template as every error page).
#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct AdminErrorPage<'a> {
    pub(crate) status: u16,
    pub(crate) title: &'a str,
    pub(crate) lines: Vec<String>,
    pub(crate) back_href: &'a str,
    pub(crate) back_label: &'a str,
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::SignIn { .. } => StatusCode::SEE_OTHER,
            AdminError::Forbidden => StatusCode::FORBIDDEN,
            AdminError::Page(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AdminError::SignIn { next } => {
                let query =
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, format!("/admin/login?{query}")))
                    .finish()
            }
            AdminError::Forbidden => {
                let page = AdminErrorPage {
                    status: 403,
                    title: "Not allowed",
                    lines: vec![
                        "This page is for administrators. Ask an administrator if you need it."
                            .to_owned(),
                    ],
                    back_href: HOME,
                    back_label: "Back to the dashboard",
                };
                match page.render() {
                    Ok(body) => html(StatusCode::FORBIDDEN, body),
                    Err(_) => HttpResponse::Forbidden().finish(),
                }
            }
            AdminError::Page(e) => e.error_response(),
        }
    }
}

/// A valid session: the person signed in. Every `/admin/` page but the sign-in form takes it.
pub struct StaffSession(pub SignedIn);

impl FromRequest for StaffSession {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let next = req
            .uri()
            .path_and_query()
            .map_or_else(|| HOME.to_owned(), |pq| pq.as_str().to_owned());
        let token = req.cookie(COOKIE_NAME).map(|c| c.value().to_owned());
        let office = req.app_data::<web::Data<BackOffice>>().cloned();
        Box::pin(async move {
            let office = office.ok_or_else(|| {
                AdminError::internal(anyhow::anyhow!("the back office is not mounted"))
            })?;
            let Some(token) = token else {
                return Err(AdminError::SignIn { next });
            };
            match blocking(move || office.session(&token)).await? {
                Some(signed_in) => Ok(StaffSession(signed_in)),
                None => Err(AdminError::SignIn { next }),
            }
        })
    }
}

/// A valid session of an `admin`; a `staff` session is refused with 403.
pub struct RequireAdmin(pub SignedIn);

impl FromRequest for RequireAdmin {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = StaffSession::from_request(req, payload);
        let path = req.path().to_owned();
        Box::pin(async move {
            let StaffSession(signed_in) = session.await?;
            if signed_in.is_admin() {
                Ok(RequireAdmin(signed_in))
            } else {
                tracing::warn!(path = %path, staff = %signed_in.account.email.masked(), "admin page refused to a staff account");
                Err(AdminError::Forbidden)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_followed_only_inside_the_back_office() {
        for good in [
            "/admin",
            "/admin/",
            "/admin/leads/7",
            "/admin?x=1",
            "/admin/leads?next=http://x",
        ] {
            assert_eq!(local_next(good), Some(good), "{good}");
        }
        for bad in [
            "",
            "/",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/admin/",
            "http:/admin",
            "admin/",
            "/admin//evil.example",
            "/admin\\..\\x",
            "/adminx",
            "/admin.evil.example",
            "/admin/\tx",
            "/admin/ x",
            "/admin/é",
            " /admin/",
            "/invoices/abc",
        ] {
            assert_eq!(local_next(bad), None, "{bad:?}");
        }
        assert_eq!(local_next(&format!("/admin/{}", "a".repeat(3000))), None);
    }

    #[test]
    fn the_cookie_is_strict_http_only_and_scoped_to_the_back_office() {
        let c = session_cookie("t", true).to_string();
        for part in [
            "wetech_admin=t",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/admin",
            "Secure",
        ] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!session_cookie("t", false).to_string().contains("Secure"));
    }
}
