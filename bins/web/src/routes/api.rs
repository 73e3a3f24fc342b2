//! The JSON API (CONTRACT.md §4).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use wetech_app::{LeadOutcome, NewLead, PaymentChoice, UseCases};
use wetech_domain::{CompanyName, EmailAddress, LeadMessage, PersonName, PhoneNumber, ServiceCode};
use wetech_payments::MobileProvider;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Fields, JsonObject};
use crate::ratelimit::LeadRateLimit;

/// Reads the lead fields shared by the JSON API and the HTML form.
pub fn read_lead(fields: &mut Fields) -> Option<NewLead> {
    let name = fields.required("name", PersonName::parse);
    let email = fields.required("email", EmailAddress::parse);
    let phone = fields.required("phone", PhoneNumber::parse);
    let company = fields.optional("company", CompanyName::parse);
    let service = fields.required("service", ServiceCode::parse);
    let message = fields.optional("message", LeadMessage::parse);
    Some(NewLead {
        name: name?,
        email: email?,
        phone: phone?,
        company,
        service: service?,
        message,
    })
}

/// Reads `gateway` (+ `phone`, `provider` for AzamPay), shared by the API and the pay form.
pub fn read_payment_choice(fields: &mut Fields) -> Option<PaymentChoice> {
    let gateway: Option<String> = fields.required("gateway", |s| {
        match s.trim().to_ascii_lowercase().as_str() {
            g @ ("pesapal" | "azampay") => Ok(g.to_owned()),
            _ => Err("must be \"pesapal\" or \"azampay\""),
        }
    });
    match gateway.as_deref() {
        Some("azampay") => {
            // AzamPay pushes to Tanzanian mobile money accounts only.
            let phone = fields.required("phone", |s| match PhoneNumber::parse(s) {
                Ok(p) if p.country() == wetech_domain::Country::Tanzania => Ok(p),
                Ok(_) => Err(
                    "must be a Tanzanian mobile number (+2556…, +2557…, 06…, 07…) for AzamPay"
                        .to_owned(),
                ),
                Err(e) => Err(e.to_string()),
            });
            // Exactly the names the API documents, in any case.
            let provider = fields.required("provider", |s| {
                MobileProvider::ALL
                    .into_iter()
                    .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
                    .ok_or("must be one of Airtel, Tigo, Halopesa, Azampesa, Mpesa")
            });
            Some(PaymentChoice::AzamPay {
                phone: phone?,
                provider: provider?,
            })
        }
        Some(_) => Some(PaymentChoice::Pesapal),
        None => {
            // Still read (and so not report as unknown) the AzamPay fields.
            fields.ignore("phone");
            fields.ignore("provider");
            None
        }
    }
}

fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(raw) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let value = raw
        .to_str()
        .map_err(|_| ApiError::field("Idempotency-Key", "must be 1–64 visible ASCII characters"))?;
    if value.is_empty() || value.len() > 64 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "must be 1–64 visible ASCII characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// `GET /api/v1/services`
#[utoipa::path(get, path = "/api/v1/services", tag = "catalogue",
    responses((status = 200, description = "Active services", body = [crate::openapi::ServiceDoc])))]
pub async fn services(app: web::Data<UseCases>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.list_services().await?))
}

/// `POST /api/v1/leads`
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads",
    request_body = crate::openapi::LeadRequestDoc,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–64 visible characters; a retry returns the first response")),
    responses(
        (status = 201, description = "Lead recorded, invoice issued", body = crate::openapi::LeadReceiptDoc),
        (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorDoc),
        (status = 409, description = "Idempotency-Key reused for another request", body = crate::openapi::ErrorDoc),
        (status = 413, description = "Body over 64 KiB", body = crate::openapi::ErrorDoc),
        (status = 415, description = "Not JSON", body = crate::openapi::ErrorDoc),
        (status = 422, description = "Validation failed", body = crate::openapi::ErrorDoc),
        (status = 429, description = "Rate limited", body = crate::openapi::ErrorDoc),
    ))]
pub async fn create_lead(
    req: HttpRequest,
    app: web::Data<UseCases>,
    limit: web::Data<LeadRateLimit>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    limit.check(&req)?;
    let key = idempotency_key(&req)?;
    let mut fields = Fields::new(body.0);
    let lead = read_lead(&mut fields);
    fields.finish()?;
    let lead = Fields::all(lead)?;
    let outcome = app.submit_lead(lead, key).await?;
    let status = StatusCode::CREATED;
    let mut resp = HttpResponse::build(status);
    if let LeadOutcome::Replayed(_) = &outcome {
        resp.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(resp.json(outcome.receipt()))
}

/// `GET /api/v1/invoices/{id}`
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices",
    params(("id" = String, Path, description = "The invoice's public id")),
    responses((status = 200, description = "The invoice", body = crate::openapi::InvoiceDoc),
              (status = 404, description = "Unknown invoice", body = crate::openapi::ErrorDoc)))]
pub async fn invoice(app: web::Data<UseCases>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.invoice(&id).await?))
}

/// `POST /api/v1/invoices/{id}/payments`
#[utoipa::path(post, path = "/api/v1/invoices/{id}/payments", tag = "invoices",
    params(("id" = String, Path, description = "The invoice's public id")),
    request_body = crate::openapi::PaymentRequestDoc,
    responses(
        (status = 201, description = "Payment started", body = crate::openapi::PaymentStartedDoc),
        (status = 404, description = "Unknown invoice", body = crate::openapi::ErrorDoc),
        (status = 409, description = "Already paid, or a payment is under way", body = crate::openapi::ErrorDoc),
        (status = 422, description = "Validation failed", body = crate::openapi::ErrorDoc),
        (status = 502, description = "The gateway refused", body = crate::openapi::ErrorDoc),
        (status = 503, description = "The gateway is unreachable", body = crate::openapi::ErrorDoc),
        (status = 504, description = "The outcome is unknown; the attempt is expired, a later success still settles", body = crate::openapi::ErrorDoc),
    ))]
pub async fn start_payment(
    app: web::Data<UseCases>,
    id: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut fields = Fields::new(body.0);
    let choice = read_payment_choice(&mut fields);
    fields.finish()?;
    let choice = Fields::all(choice)?;
    let started = app.start_payment(&id, choice).await?;
    Ok(HttpResponse::Created().json(started))
}

/// Mounts the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/services", web::get().to(services))
            .route("/leads", web::post().to(create_lead))
            .route("/invoices/{id}", web::get().to(invoice))
            .route("/invoices/{id}/payments", web::post().to(start_payment)),
    )
    .route("/api/openapi.json", web::get().to(crate::openapi::document));
}
