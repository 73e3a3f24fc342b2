//! `GET /admin/catalog` and `POST /admin/catalog` (admin): the service catalogue with an edit
//! form per service, a "stop offering" button, and an add form. The rules are `ops catalog
//! set`'s (the `wetech-ops` catalogue's parsers and `set`), and the price's currency must be one
//! an enabled gateway takes (the rule of `wetech_runtime::gateways_taking`, read from the
//! gateway clients this server runs). Each change is one unit of work with its audit entry
//! (`catalog.set`, `catalog.disable`, before and after).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::json;
use wetech_app::backoffice::{Actor, Audited, SignedIn, StaffError};
use wetech_app::{BackOffice, UseCases};
use wetech_domain::{Currency, Money, ServiceCode};
use wetech_ops::catalog::{self, CatalogEntry, CatalogError, ServiceName};
use wetech_persistence::{PersistenceError, services};

use super::dashboard::Bar;
use super::page;
use super::session::{AdminError, RequireAdmin, client_address};
use crate::csrf::Csrf;
use crate::error::ApiError;
use crate::extract::FormFields;
use crate::routes::pages::form::{check_csrf, typed};
use crate::routes::pages::html::see_other;

#[derive(Template)]
#[template(path = "admin/catalog.html")]
struct CatalogPage {
    bar: Bar,
    services: Vec<CatalogEntry>,
    errors: Vec<String>,
    currencies: String,
    /// The add form as typed: code, name, price, currency.
    typed: (String, String, String, String),
}

/// Why an edit was not made.
#[derive(Debug, thiserror::Error)]
enum EditError {
    #[error("{0}")]
    Invalid(String),
    #[error("the catalogue could not be changed")]
    Catalog(#[from] CatalogError),
    #[error("the audit entry could not be written")]
    Staff(#[from] StaffError),
    #[error("the database failed")]
    Persistence(#[from] PersistenceError),
}

/// The currencies the enabled gateways take, in their order, without repeats.
fn payable(app: &UseCases) -> Vec<wetech_payments::Currency> {
    let g = app.gateways();
    let mut out = Vec::new();
    for (enabled, gateway) in [
        (g.pesapal.is_some(), wetech_payments::Gateway::Pesapal),
        (g.azampay.is_some(), wetech_payments::Gateway::AzamPay),
    ] {
        if enabled {
            for c in gateway.currencies() {
                if !out.contains(c) {
                    out.push(*c);
                }
            }
        }
    }
    out
}

async fn render(
    req: &HttpRequest,
    csrf: &Csrf,
    who: &SignedIn,
    app: &UseCases,
    errors: Vec<String>,
    typed: (String, String, String, String),
    status: StatusCode,
) -> Result<HttpResponse, AdminError> {
    let uow = app.unit_of_work().clone();
    let services = tokio::task::spawn_blocking(move || uow.read(catalog::list))
        .await
        .map_err(AdminError::internal)?
        .map_err(AdminError::internal)?;
    let currencies = payable(app)
        .iter()
        .map(|c| c.code())
        .collect::<Vec<_>>()
        .join(", ");
    page::answer_with(status, req, csrf, who, |bar, _| CatalogPage {
        bar,
        services,
        errors,
        currencies,
        typed,
    })
}

/// `GET /admin/catalog`
pub async fn catalog_page(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
) -> Result<HttpResponse, AdminError> {
    let empty = (String::new(), String::new(), String::new(), String::new());
    render(&req, &csrf, &who, &app, Vec::new(), empty, StatusCode::OK).await
}

/// What the form asks for.
enum Edit {
    Set {
        code: ServiceCode,
        name: ServiceName,
        price: Money,
    },
    Disable {
        code: ServiceCode,
    },
}

fn parse(
    map: &serde_json::Map<String, serde_json::Value>,
    payable: &[wetech_payments::Currency],
) -> Result<Edit, EditError> {
    let invalid =
        |what: &str, e: &dyn std::fmt::Display| EditError::Invalid(format!("{what}: {e}"));
    let code_text = typed(map, "code");
    let code = ServiceCode::parse(code_text.trim()).map_err(|e| invalid("code", &e))?;
    if !typed(map, "disable").is_empty() {
        return Ok(Edit::Disable { code });
    }
    let name = ServiceName::parse(&typed(map, "name")).map_err(|e| invalid("name", &e))?;
    let currency_text = typed(map, "currency");
    let currency = Currency::parse(currency_text.trim()).map_err(|e| invalid("currency", &e))?;
    let price = Money::parse_decimal(typed(map, "price").trim(), currency)
        .map_err(|e| invalid("price", &e))?;
    if price.is_zero() {
        return Err(EditError::Invalid(
            "price: must be greater than zero".into(),
        ));
    }
    let taken =
        wetech_payments::Currency::parse(currency.as_str()).is_ok_and(|c| payable.contains(&c));
    if !taken {
        return Err(EditError::Invalid(format!(
            "currency: no enabled payment gateway takes {currency}"
        )));
    }
    Ok(Edit::Set { code, name, price })
}

/// `POST /admin/catalog` with `code`, `name`, `price`, `currency` (set, and offer), or `code`
/// and `disable` (stop offering); 303 back to the catalogue, 422 with the reason.
pub async fn edit(
    req: HttpRequest,
    RequireAdmin(who): RequireAdmin,
    csrf: web::Data<Csrf>,
    app: web::Data<UseCases>,
    office: web::Data<BackOffice>,
    body: Result<FormFields, ApiError>,
) -> Result<HttpResponse, AdminError> {
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    let typed_back = (
        typed(&map, "code"),
        typed(&map, "name"),
        typed(&map, "price"),
        typed(&map, "currency"),
    );
    let actor = Actor::staff(&who, client_address(&req));
    let office = office.into_inner();
    let payable = payable(&app);
    let result = tokio::task::spawn_blocking(move || {
        let edit = parse(&map, &payable)?;
        let (action, code) = match &edit {
            Edit::Set { code, .. } => ("catalog.set", code.clone()),
            Edit::Disable { code } => ("catalog.disable", code.clone()),
        };
        office.audited(&actor, action, |tx| {
            let before = services::get_by_code(tx, code.as_str())?
                .map(CatalogEntry::try_from)
                .transpose()?;
            let after = match &edit {
                Edit::Set { code, name, price } => catalog::set(tx, code, name, *price)?,
                Edit::Disable { code } => catalog::disable(tx, code)?,
            };
            Ok::<_, EditError>(Audited {
                value: (),
                subject: format!("service:{}", code.as_str()),
                before: before.map(|b| json!(b)),
                after: Some(json!(after)),
            })
        })
    })
    .await
    .map_err(AdminError::internal)?;
    match result {
        Ok(()) => Ok(see_other("/admin/catalog")),
        Err(EditError::Invalid(message)) => {
            render(
                &req,
                &csrf,
                &who,
                &app,
                vec![message],
                typed_back,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(EditError::Catalog(e @ (CatalogError::NotFound(_) | CatalogError::ZeroPrice))) => {
            render(
                &req,
                &csrf,
                &who,
                &app,
                vec![e.to_string()],
                typed_back,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(AdminError::internal(e)),
    }
}
