//! `GET /`: the services and the lead form (also re-rendered by [`super::lead`] with the
//! customer's mistakes).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use serde_json::{Map, Value};
use wetech_app::{ServiceView, UseCases};

use super::errors::PageResult;
use super::form::{FormKind, Token, other_errors, query_param, translate_errors, typed};
use super::format::money_in;
use super::frame::Frame;
use super::html::render;
use crate::csrf::Csrf;

/// The lead form's values as typed.
#[derive(Default)]
pub struct LeadForm {
    name: String,
    email: String,
    phone: String,
    company: String,
    service: String,
    message: String,
}

pub(super) const LEAD_FIELDS: [&str; 6] =
    ["name", "email", "phone", "company", "service", "message"];

impl LeadForm {
    /// The values of `map` as typed.
    pub fn typed(map: &Map<String, Value>) -> Self {
        LeadForm {
            name: typed(map, "name"),
            email: typed(map, "email"),
            phone: typed(map, "phone"),
            company: typed(map, "company"),
            service: typed(map, "service"),
            message: typed(map, "message"),
        }
    }
}

struct ServiceItem {
    code: String,
    name: String,
    price: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    frame: Frame,
    services: Vec<ServiceItem>,
    form: &'a LeadForm,
    errors: BTreeMap<String, String>,
    other_errors: Vec<(String, String)>,
    csrf_token: &'a str,
}

pub(super) fn render_home(
    req: &HttpRequest,
    csrf: &Csrf,
    services: Vec<ServiceView>,
    form: &LeadForm,
    errors: &BTreeMap<String, String>,
    status: StatusCode,
) -> PageResult {
    let token = Token::for_request(csrf, req);
    let frame = Frame::for_request(req);
    let t = frame.t;
    let errors = translate_errors(t, errors, FormKind::Lead);
    let page = IndexPage {
        frame,
        services: services
            .into_iter()
            .map(|s| ServiceItem {
                price: money_in(t, &s.price),
                code: s.code.to_string(),
                name: s.name,
            })
            .collect(),
        form,
        other_errors: other_errors(&errors, &LEAD_FIELDS),
        errors,
        csrf_token: &token.value,
    };
    let resp = render(&page, status)?;
    Ok(token.attach(resp))
}

/// `GET /`: the services and the lead form.
pub async fn home(req: HttpRequest, app: web::Data<UseCases>, csrf: web::Data<Csrf>) -> PageResult {
    let services = app.list_services().await?;
    let mut form = LeadForm::default();
    if let Some(code) = query_param(&req, "service")
        && services.iter().any(|s| s.code.as_str() == code)
    {
        form.service = code;
    }
    render_home(
        &req,
        &csrf,
        services,
        &form,
        &BTreeMap::new(),
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_user_text() {
        let form = LeadForm {
            name: "<script>alert(1)</script>".to_owned(),
            message: "\"><img src=x onerror=alert(1)>".to_owned(),
            ..LeadForm::default()
        };
        let mut errors = BTreeMap::new();
        errors.insert("<b>x</b>".to_owned(), "unknown field".to_owned());
        let page = IndexPage {
            frame: Frame::new(wetech_i18n::Language::En, "/"),
            services: vec![],
            form: &form,
            other_errors: other_errors(&errors, &LEAD_FIELDS),
            errors,
            csrf_token: "tok",
        };
        let body = page.render().unwrap();
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(!body.contains("<img"), "{body}");
        assert!(!body.contains("<b>x"), "{body}");
        assert!(body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    }
}
