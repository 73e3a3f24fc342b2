//! How a back-office page is answered: a fresh CSRF token, the signed-in bar with it, the
//! template rendered, and the token's cookie attached to the 200 answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use wetech_app::backoffice::SignedIn;

use super::dashboard::Bar;
use super::session::AdminError;
use crate::csrf::Csrf;
use crate::routes::pages::form::Token;
use crate::routes::pages::html::html;

/// Renders the template `build` makes from the bar and the token (for the page's own forms).
pub(crate) fn answer<T: Template>(
    req: &HttpRequest,
    csrf: &Csrf,
    who: &SignedIn,
    build: impl FnOnce(Bar, &Token) -> T,
) -> Result<HttpResponse, AdminError> {
    answer_with(StatusCode::OK, req, csrf, who, build)
}

/// [`answer`] with another status: a form shown again with what is wrong (422), or with the
/// gateway's refusal (502).
pub(crate) fn answer_with<T: Template>(
    status: StatusCode,
    req: &HttpRequest,
    csrf: &Csrf,
    who: &SignedIn,
    build: impl FnOnce(Bar, &Token) -> T,
) -> Result<HttpResponse, AdminError> {
    let token = Token::for_request(csrf, req);
    let body = build(Bar::of(who, &token), &token)
        .render()
        .map_err(AdminError::internal)?;
    Ok(token.attach(html(status, body)))
}
