//! The OpenAPI 3 document of the JSON API, generated from the handlers' annotations and these
//! schema types (which mirror the use cases' read models and the error shape).

#![allow(
    dead_code,
    reason = "schema-only types: read by utoipa, never constructed"
)]

use actix_web::HttpResponse;
use utoipa::{OpenApi, ToSchema};

/// A catalogue entry.
#[derive(ToSchema)]
pub struct ServiceDoc {
    #[schema(example = "WEB-BASIC")]
    code: String,
    #[schema(example = "Business website")]
    name: String,
    #[schema(example = "500000.00")]
    price: String,
    #[schema(example = "TZS")]
    currency: String,
}

/// `POST /api/v1/leads` body. Unknown fields are refused.
#[derive(ToSchema)]
pub struct LeadRequestDoc {
    /// 1–120 characters.
    #[schema(example = "Asha Mwakyusa")]
    name: String,
    #[schema(example = "asha@example.co.tz")]
    email: String,
    /// East-African mobile: `+2557…`, `2557…`, `07…`; stored in E.164.
    #[schema(example = "0754123456")]
    phone: String,
    company: Option<String>,
    /// An active service code.
    #[schema(example = "WEB-BASIC")]
    service: String,
    /// At most 2000 characters.
    message: Option<String>,
}

/// The invoice in a lead receipt.
#[derive(ToSchema)]
pub struct InvoiceSummaryDoc {
    /// Unguessable public id.
    id: String,
    #[schema(example = "INV-2026-000001")]
    number: String,
    #[schema(example = "unpaid")]
    status: String,
    #[schema(example = "500000.00")]
    amount: String,
    #[schema(example = "TZS")]
    currency: String,
    url: String,
}

/// `201` of `POST /api/v1/leads`.
#[derive(ToSchema)]
pub struct LeadReceiptDoc {
    lead_id: i64,
    client_id: i64,
    invoice: InvoiceSummaryDoc,
}

/// One payment attempt.
#[derive(ToSchema)]
pub struct PaymentDoc {
    id: String,
    #[schema(example = "pesapal")]
    gateway: String,
    #[schema(example = "pending")]
    status: String,
    amount: String,
    created_at: String,
}

/// `GET /api/v1/invoices/{id}`.
#[derive(ToSchema)]
pub struct InvoiceDoc {
    id: String,
    number: String,
    /// `unpaid`, `pending`, `paid` or `reversed`.
    status: String,
    amount: String,
    currency: String,
    /// The service code.
    service: String,
    service_name: String,
    issued_at: String,
    paid_at: Option<String>,
    payments: Vec<PaymentDoc>,
}

/// `POST /api/v1/invoices/{id}/payments` body: `{"gateway":"pesapal"}` or
/// `{"gateway":"azampay","phone":"2557…","provider":"Airtel|Tigo|Halopesa|Azampesa|Mpesa"}`.
#[derive(ToSchema)]
pub struct PaymentRequestDoc {
    #[schema(example = "azampay")]
    gateway: String,
    #[schema(example = "255754123456")]
    phone: Option<String>,
    #[schema(example = "Airtel")]
    provider: Option<String>,
}

/// `201` of a payment start.
#[derive(ToSchema)]
pub struct PaymentStartedDoc {
    payment_id: String,
    gateway: String,
    #[schema(example = "pending")]
    status: String,
    /// Pesapal: the hosted payment page.
    redirect_url: Option<String>,
    /// AzamPay: what to tell the customer.
    message: Option<String>,
}

/// The body of every error.
#[derive(ToSchema)]
pub struct ErrorDoc {
    error: ErrorDetailDoc,
}

/// Error details.
#[derive(ToSchema)]
pub struct ErrorDetailDoc {
    #[schema(example = "validation_failed")]
    code: String,
    message: String,
    /// Per-field messages (validation failures).
    fields: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wetech API",
        description = "Leads, invoices and payments of the wetech site."
    ),
    paths(
        crate::routes::api::services,
        crate::routes::api::create_lead,
        crate::routes::api::invoice,
        crate::routes::api::start_payment,
    ),
    components(schemas(
        ServiceDoc,
        LeadRequestDoc,
        LeadReceiptDoc,
        InvoiceSummaryDoc,
        InvoiceDoc,
        PaymentDoc,
        PaymentRequestDoc,
        PaymentStartedDoc,
        ErrorDoc,
        ErrorDetailDoc
    ))
)]
struct ApiDoc;

/// The document as JSON.
#[must_use]
pub fn json() -> String {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// `GET /api/openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json())
}
