//! `POST /invoices/{id}/pay`: the pay forms; 303 to Pesapal's page or back to the invoice, or the
//! invoice page again with the refusal and the API's status.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};
use wetech_app::{UseCases, paths};
use wetech_domain::{InvoiceStatus, PublicId};
use wetech_payments::NextStep;

use super::errors::{PageResult, gateway_trouble};
use super::form::{check_csrf, typed};
use super::html::see_other;
use super::invoice::{InvoiceExtras, Notice, PayForm, render_invoice};
use crate::csrf::Csrf;
use crate::error::ApiError;
use crate::extract::{Fields, FormFields, InvoiceId};
use crate::routes::input::PaymentRequest;

/// `GET /invoices/{id}/pay` (a reload after a refused payment): back to the invoice.
pub async fn pay_get(id: Result<InvoiceId, ApiError>) -> PageResult {
    Ok(see_other(&paths::invoice_page(&id?.0)))
}

/// CSRF first, then the invoice and the choice.
pub async fn pay(
    req: HttpRequest,
    app: web::Data<UseCases>,
    csrf: web::Data<Csrf>,
    id: Result<InvoiceId, ApiError>,
    body: Result<FormFields, ApiError>,
) -> PageResult {
    let FormFields(mut map) = body?;
    check_csrf(&csrf, &req, &mut map)?;
    let InvoiceId(id) = id?;
    let typed_form = PayForm {
        phone: typed(&map, "phone"),
        provider: typed(&map, "provider"),
    };
    let mut fields = Fields::new(map);
    let choice = PaymentRequest::read(&mut fields);
    let choice = match fields.finish().and_then(|()| Fields::all(choice)) {
        Ok(choice) => choice,
        Err(e) => return refused_payment(&req, &app, &csrf, &id, typed_form, e).await,
    };
    match app.start_payment(&id, choice.into()).await {
        Ok(started) => match started.next_step {
            NextStep::Redirect { url } => match HeaderValue::from_str(&url) {
                Ok(location) => Ok(HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish()),
                Err(_) => {
                    tracing::error!("the gateway's redirect URL is not a valid header value");
                    refused_payment(
                        &req,
                        &app,
                        &csrf,
                        &id,
                        typed_form,
                        ApiError::GatewayError("unusable redirect URL".to_owned()),
                    )
                    .await
                }
            },
            NextStep::ApproveOnPhone { .. } => {
                Ok(see_other(&format!("{}?sent=1", paths::invoice_page(&id))))
            }
        },
        Err(e) => refused_payment(&req, &app, &csrf, &id, typed_form, ApiError::from(e)).await,
    }
}

/// Shows a refused payment on the invoice page with the error's status (422 with the messages by
/// the fields, 409 already paid / under way, 502–504 gateway trouble); anything else is an error page.
async fn refused_payment(
    req: &HttpRequest,
    app: &UseCases,
    csrf: &Csrf,
    id: &PublicId,
    pay: PayForm,
    err: ApiError,
) -> PageResult {
    let status = err.status_code();
    let mut extras = InvoiceExtras {
        pay,
        ..InvoiceExtras::default()
    };
    let t = crate::language::of(req);
    let mut conflict = false;
    match err {
        ApiError::Validation { fields, .. } => extras.errors = fields,
        ApiError::Conflict(_) => conflict = true,
        ref e @ (ApiError::GatewayError(_)
        | ApiError::GatewayUnavailable(_)
        | ApiError::GatewayTimeout(_)) => {
            extras.notice = Some(Notice {
                kind: "error",
                lines: gateway_trouble(t, e).unwrap_or_default(),
            });
        }
        other => return Err(other.into()),
    }
    let inv = app.invoice(id).await?;
    if conflict {
        // Told from the invoice as it is now: paid, reversed, cancelled, refunded, or a payment under way.
        let key = match inv.status {
            InvoiceStatus::Paid => "pay-conflict-paid",
            InvoiceStatus::Reversed => "pay-conflict-reversed",
            InvoiceStatus::Void => "pay-conflict-void",
            InvoiceStatus::Refunded => "pay-conflict-refunded",
            InvoiceStatus::Unpaid | InvoiceStatus::Pending => "pay-conflict-under-way",
        };
        extras.notice = Some(Notice {
            kind: "warn",
            lines: vec![t.text(key)],
        });
    }
    render_invoice(req, app, csrf, &inv, &extras, status)
}
