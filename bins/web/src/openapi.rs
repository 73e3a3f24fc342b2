//! The OpenAPI document of the JSON API, derived from the handlers' annotations and the types they
//! really read and write ([`crate::routes::input`], [`crate::routes::api::dto`],
//! [`crate::error::ErrorBody`]). Enumerations are built from the domain's own lists, so a new
//! status, gateway, provider or currency appears in the document by itself. In development the
//! document is also shown for people at [`DOCS_PATH`] (Scalar).

use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType,
    Type,
};
use utoipa::{Modify, OpenApi};
use wetech_domain::{AttemptStatus, Currency, Gateway, InvoiceStatus};
use wetech_payments::MobileProvider;

use crate::error::ERROR_CODES;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

/// Where the document is shown for people (development only).
pub const DOCS_PATH: &str = "/api/docs";

fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .build()
}

fn string_matching(pattern: &str, example: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .examples([example])
        .build()
}

/// A [`wetech_domain::PublicId`]: 22 characters of URL-safe base64.
#[must_use]
pub fn public_id_schema() -> Object {
    string_matching("^[A-Za-z0-9_-]{22}$", "q3Zt0kR2b9XyW1aM4nP7sQ")
}

/// An [`wetech_domain::InvoiceNumber`].
#[must_use]
pub fn invoice_number_schema() -> Object {
    string_matching("^INV-[0-9]{4}-[0-9]{6}$", "INV-2026-000001")
}

/// A [`wetech_domain::ServiceCode`] as the server writes it (upper case).
#[must_use]
pub fn service_code_schema() -> Object {
    string_matching("^[A-Z0-9-]{2,32}$", "WEB-BASIC")
}

/// An amount: a decimal string with the currency's decimals (docs/interface.md, "Data rules").
#[must_use]
pub fn amount_schema() -> Object {
    string_matching(r"^[0-9]+(\.[0-9]+)?$", "500000.00")
}

/// A [`wetech_domain::MerchantReference`]: the id of one payment attempt.
#[must_use]
pub fn merchant_reference_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(wetech_domain::MAX_MERCHANT_REFERENCE_LEN))
        .build()
}

/// An instant: RFC 3339 in UTC, to the second.
#[must_use]
pub fn instant_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .examples(["2026-03-03T14:05:00Z"])
        .build()
}

/// `pesapal` | `azampay`.
#[must_use]
pub fn gateway_schema() -> Object {
    string_enum(Gateway::ALL.iter().map(|g| g.as_str()))
}

/// The invoice states.
#[must_use]
pub fn invoice_status_schema() -> Object {
    string_enum(InvoiceStatus::ALL.iter().map(|s| s.as_str()))
}

/// The payment attempt states.
#[must_use]
pub fn attempt_status_schema() -> Object {
    string_enum(AttemptStatus::ALL.iter().map(|s| s.as_str()))
}

/// The AzamPay mobile networks.
#[must_use]
pub fn provider_schema() -> Object {
    string_enum(MobileProvider::ALL.iter().map(|p| p.as_str()))
}

/// The ISO 4217 codes of the currencies amounts may be in.
#[must_use]
pub fn currency_schema() -> Object {
    string_enum(Currency::ALL.iter().map(|c| c.as_str()))
}

/// The error codes.
#[must_use]
pub fn error_code_schema() -> Object {
    string_enum(ERROR_CODES)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wetech API",
        description = "Leads, invoices and payments of the wetech site. Every error has the shape \
            `{\"error\": {\"code\", \"message\", \"fields\"?}}`; a method a path does not take is \
            answered 405 with `Allow`."
    ),
    paths(
        crate::routes::api::handlers::services,
        crate::routes::api::handlers::create_lead,
        crate::routes::api::handlers::invoice,
        crate::routes::api::handlers::start_payment,
    ),
    modifiers(&Exact),
    tags(
        (name = "catalogue", description = "The services on offer"),
        (name = "leads", description = "A customer's request, with the invoice it issues"),
        (name = "invoices", description = "Invoices and their payments"),
    )
)]
struct ApiDoc;

/// What the derive cannot say: each variant of [`PaymentRequest`] refuses unknown fields
/// (`PaymentRequest::read` and `Fields::finish` do), and an optional header is absent, never null.
///
/// [`PaymentRequest`]: crate::routes::input::PaymentRequest
struct Exact;

impl Modify for Exact {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = doc.components.as_mut()
            && let Some(RefOr::T(Schema::OneOf(one_of))) =
                components.schemas.get_mut("PaymentRequest")
        {
            for variant in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = variant {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if parameter.parameter_in == ParameterIn::Header
                        && let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut()
                    {
                        object.schema_type = SchemaType::Type(Type::String);
                    }
                }
            }
        }
    }
}

/// The document as JSON.
#[must_use]
pub fn json() -> String {
    let Ok(mut doc) = serde_json::to_value(ApiDoc::openapi()) else {
        return "{}".to_owned();
    };
    fix_link_keys(&mut doc);
    doc.to_string()
}

/// utoipa 5 writes a response link's fields in snake case (`operation_id`); OpenAPI (and every
/// tool following links, schemathesis's stateful phase among them) reads `operationId`.
fn fix_link_keys(doc: &mut serde_json::Value) {
    const RENAMES: [(&str, &str); 3] = [
        ("operation_id", "operationId"),
        ("operation_ref", "operationRef"),
        ("request_body", "requestBody"),
    ];
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let links = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|op| op.get_mut("responses").and_then(|r| r.as_object_mut()))
        .flat_map(|responses| responses.values_mut())
        .filter_map(|response| response.get_mut("links").and_then(|l| l.as_object_mut()))
        .flat_map(|links| links.values_mut())
        .filter_map(|link| link.as_object_mut());
    for link in links {
        for (from, to) in RENAMES {
            if let Some(value) = link.remove(from) {
                link.insert(to.to_owned(), value);
            }
        }
    }
}

/// `GET /api/openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json())
}

/// The page's own Content-Security-Policy: the site's policy plus Scalar's script (and the styles
/// and fonts it injects). The page embeds the document; it fetches nothing else from this site.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
script-src 'self' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.scalar.com; \
font-src 'self' data: https://cdn.jsdelivr.net https://fonts.scalar.com; img-src 'self' data:; connect-src 'self'; \
object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// `GET /api/docs` (development only): the document for people.
pub async fn docs_page() -> HttpResponse {
    let html = utoipa_scalar::Scalar::new(
        serde_json::from_str::<serde_json::Value>(&json()).unwrap_or_default(),
    )
    .to_html();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            DOCS_CONTENT_SECURITY_POLICY,
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}
