//! `GET /invoices/{id}/receipt.pdf`: the receipt of a paid (or refunded) invoice in the
//! request's language, drawn on the blocking pool by `wetech_app::Receipts` (the same drawing
//! as the receipt e-mail's attachment). Shown in the browser (`inline`), never kept by a shared
//! cache. An invoice that is not paid is a 409 page with a link back to it; an unknown or
//! malformed id is the 404 page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use wetech_app::{ReceiptFailure, Receipts, paths};

use super::errors::{PageResult, message_page};
use crate::error::ApiError;
use crate::extract::InvoiceId;

/// `GET /invoices/{id}/receipt.pdf`.
pub async fn receipt(
    req: HttpRequest,
    receipts: web::Data<Receipts>,
    id: Result<InvoiceId, ApiError>,
) -> PageResult {
    let id = id?.0;
    let t = crate::language::of(&req);
    match receipts.pdf(&id, t).await {
        Ok(pdf) => Ok(HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", pdf.filename),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(pdf.bytes)),
        Err(ReceiptFailure::NotFound) => {
            Err(ApiError::NotFound("invoice not found".to_owned()).into())
        }
        Err(ReceiptFailure::NotPaid(_)) => Ok(message_page(
            t,
            StatusCode::CONFLICT,
            "receipt-not-paid-title",
            vec![t.text("receipt-not-paid")],
            (&paths::invoice_page(&id), "error-back-invoice"),
        )),
        Err(other) => Err(ApiError::internal(other).into()),
    }
}
