//! `GET /admin/login` (the form), `POST /admin/login` (303 into the back office, 401 for a
//! wrong address or password without saying which, 429 when locked out), `POST /admin/logout`.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde_json::Value;
use wetech_app::BackOffice;
use wetech_app::backoffice::login::masked_typed_email;
use wetech_app::backoffice::{LoginAttempt, LoginOutcome};

use super::session::{
    AdminError, AdminErrorPage, COOKIE_NAME, HOME, client_address, local_next, removal_cookie,
    session_cookie,
};
use super::{AdminConfig, blocking};
use crate::csrf::Csrf;
use crate::error::ApiError;
use crate::extract::FormFields;
use crate::routes::pages::form::{Token, check_csrf, query_param};
use crate::routes::pages::html::{html, see_other};

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage<'a> {
    csrf_token: &'a str,
    next: &'a str,
    message: Option<&'a str>,
}

/// Renders the form with `status` (the same page, word for word, for every refusal).
fn login_page(
    csrf: &Csrf,
    req: &HttpRequest,
    next: &str,
    message: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AdminError> {
    let token = Token::for_request(csrf, req);
    let body = LoginPage {
        csrf_token: &token.value,
        next,
        message,
    }
    .render()
    .map_err(AdminError::internal)?;
    Ok(token.attach(html(status, body)))
}

/// `GET /admin/login[?next=/admin/…]`
pub async fn form(req: HttpRequest, csrf: web::Data<Csrf>) -> Result<HttpResponse, AdminError> {
    let next = query_param(&req, "next").unwrap_or_default();
    let next = local_next(&next).unwrap_or("");
    login_page(&csrf, &req, next, None, StatusCode::OK)
}

fn field(map: &serde_json::Map<String, Value>, name: &str) -> Result<String, AdminError> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ApiError::field(name, "missing").into()),
    }
}

/// `POST /admin/login` with `email`, `password`, `csrf_token` and an optional `next`.
pub async fn submit(
    req: HttpRequest,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
    config: web::Data<AdminConfig>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    let email = field(&map, "email")?;
    let password = SecretString::from(field(&map, "password")?);
    let next = match map.get("next") {
        Some(Value::String(s)) => local_next(s).map(str::to_owned),
        _ => None,
    };
    let address = client_address(&req);
    let typed = email.clone();
    let office = office.into_inner();
    let client = address.clone();
    let outcome = blocking(move || {
        office.login(&LoginAttempt {
            email: &typed,
            password: &password,
            client_address: client.as_deref(),
        })
    })
    .await?;
    match outcome {
        LoginOutcome::SignedIn { token, account } => {
            tracing::info!(staff = %account.email.masked(), "staff signed in");
            let target = match next.as_deref() {
                Some("/admin/login") | None => HOME,
                Some(path) => path,
            };
            let mut resp = see_other(target);
            resp.add_cookie(&session_cookie(token.expose(), config.secure_cookies))
                .map_err(AdminError::internal)?;
            Ok(resp)
        }
        LoginOutcome::Refused => login_page(
            &csrf,
            &req,
            next.as_deref().unwrap_or(""),
            Some("The e-mail address or the password is not right."),
            StatusCode::UNAUTHORIZED,
        ),
        LoginOutcome::Locked { retry_after } => {
            tracing::warn!(
                email = %masked_typed_email(&email),
                client_address = address.as_deref().unwrap_or("unknown"),
                "staff sign-in locked out after repeated failures"
            );
            let minutes = retry_after.as_secs().div_ceil(60);
            let page = AdminErrorPage {
                status: 429,
                title: "Too many failed sign-ins",
                lines: vec![format!(
                    "Sign-in is paused for this account or this address. Please wait {minutes} \
                     minutes without trying, then sign in again."
                )],
                back_href: "/admin/login",
                back_label: "Back to the sign-in form",
            };
            let body = page.render().map_err(AdminError::internal)?;
            let mut resp = html(StatusCode::TOO_MANY_REQUESTS, body);
            resp.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.as_secs().into());
            Ok(resp)
        }
    }
}

/// `POST /admin/logout` (CSRF-checked): ends the session, removes the cookie, 303 to the form.
pub async fn logout(
    req: HttpRequest,
    csrf: web::Data<Csrf>,
    office: web::Data<BackOffice>,
    config: web::Data<AdminConfig>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    if let Some(token) = req.cookie(COOKIE_NAME).map(|c| c.value().to_owned()) {
        let office = office.into_inner();
        let address = client_address(&req);
        blocking(move || office.logout(&token, address.as_deref())).await?;
    }
    let mut resp = see_other("/admin/login");
    resp.add_cookie(&removal_cookie(config.secure_cookies))
        .map_err(AdminError::internal)?;
    Ok(resp)
}
