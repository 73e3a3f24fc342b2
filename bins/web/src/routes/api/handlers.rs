//! The API's handlers. Each one's `#[utoipa::path]` lists every status it can answer; the
//! bodies are the types of [`super::dto`] and [`crate::error::ErrorBody`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use wetech_app::{LeadOutcome, UseCases};

use super::dto;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Fields, InvoiceId, JsonObject, idempotency_key};
use crate::ratelimit::LeadRateLimit;
use crate::routes::input::{LeadRequest, PaymentRequest};

/// `GET /api/v1/services`
#[utoipa::path(get, path = "/api/v1/services", tag = "catalogue",
    responses(
        (status = 200, description = "The active services", body = [dto::Service]),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
pub async fn services(app: web::Data<UseCases>) -> ApiResult<HttpResponse> {
    let services: Vec<dto::Service> = app
        .list_services()
        .await?
        .into_iter()
        .map(dto::Service::from)
        .collect();
    Ok(HttpResponse::Ok().json(services))
}

/// `POST /api/v1/leads`
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads",
    request_body = LeadRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 64, pattern = "^[!-~]{1,64}$",
        description = "1–64 visible ASCII characters; a retry with the same key and body returns the first response and creates nothing")),
    responses(
        (status = 201, description = "Lead recorded, invoice issued (or the replay of the first answer to this Idempotency-Key)", body = dto::LeadReceipt,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is a replay")),
            links(
                ("invoice" = (operation_id = "invoice", parameters(("id" = "$response.body#/invoice/id")),
                    description = "The invoice issued")),
                ("pay" = (operation_id = "start_payment", parameters(("id" = "$response.body#/invoice/id")),
                    description = "Start paying it")),
            )),
        (status = 400, description = "Malformed JSON, or not a JSON object", body = ErrorBody),
        (status = 409, description = "The Idempotency-Key was used for a different request", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Validation failed: every bad, missing or unknown field (or the Idempotency-Key header) named in `fields`; an unknown or inactive service is one of them", body = ErrorBody),
        (status = 429, description = "Too many leads from this address", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
pub async fn create_lead(
    req: HttpRequest,
    app: web::Data<UseCases>,
    limit: web::Data<LeadRateLimit>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    limit.check(&req).await?;
    let key = idempotency_key(&req)?;
    let mut fields = Fields::new(body.0);
    let lead = LeadRequest::read(&mut fields);
    fields.finish()?;
    let lead = Fields::all(lead)?;
    // A program has no cookie or switch: the language of its e-mails is its Accept-Language.
    let language = crate::language::from_accept_language(&req);
    let outcome = app.submit_lead(lead.into_lead(language), key).await?;
    let mut resp = HttpResponse::build(StatusCode::CREATED);
    if let LeadOutcome::Replayed(_) = &outcome {
        resp.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(resp.json(dto::LeadReceipt::from(outcome.receipt())))
}

/// `GET /api/v1/invoices/{id}`
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9_-]{22}$",
        description = "The invoice's public id (a malformed one names no invoice: 404)")),
    responses(
        (status = 200, description = "The invoice", body = dto::Invoice),
        (status = 404, description = "No such invoice", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
pub async fn invoice(app: web::Data<UseCases>, id: InvoiceId) -> ApiResult<HttpResponse> {
    let invoice = dto::Invoice::from(app.invoice(&id.0).await?);
    Ok(HttpResponse::Ok().json(invoice))
}

/// `POST /api/v1/invoices/{id}/payments`
#[utoipa::path(post, path = "/api/v1/invoices/{id}/payments", tag = "invoices",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9_-]{22}$",
        description = "The invoice's public id (a malformed one names no invoice: 404)")),
    request_body = PaymentRequest,
    responses(
        (status = 201, description = "Payment started", body = dto::PaymentStarted),
        (status = 400, description = "Malformed JSON, or not a JSON object", body = ErrorBody),
        (status = 404, description = "No such invoice", body = ErrorBody),
        (status = 409, description = "Already paid, or a payment is waiting for the customer's approval", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Validation failed (fields named), or the gateway is not enabled on this site", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
        (status = 502, description = "The gateway refused; the attempt is recorded as failed, the invoice back to unpaid", body = ErrorBody),
        (status = 503, description = "The gateway is unreachable; the attempt is recorded as failed", body = ErrorBody),
        (status = 504, description = "The gateway's answer did not arrive; the attempt is expired and a later verified success still settles it", body = ErrorBody),
    ))]
pub async fn start_payment(
    app: web::Data<UseCases>,
    id: InvoiceId,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut fields = Fields::new(body.0);
    let choice = PaymentRequest::read(&mut fields);
    fields.finish()?;
    let choice = Fields::all(choice)?;
    let started = app.start_payment(&id.0, choice.into()).await?;
    Ok(HttpResponse::Created().json(dto::PaymentStarted::try_from(started)?))
}
