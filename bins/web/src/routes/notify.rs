//! Gateway notifications (docs/interface.md, "Gateway notifications"). Nothing here trusts a notification: the use cases verify
//! it (Pesapal: GetTransactionStatus; AzamPay: path token and signature) and apply it exactly once.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use wetech_app::{Applied, PesapalNotificationError, UseCases};
use wetech_payments::{IncomingNotification, NotificationMethod};

use crate::error::{ApiError, ApiResult};
use crate::extract::read_body;

async fn incoming(
    req: &HttpRequest,
    payload: &mut web::Payload,
) -> ApiResult<IncomingNotification> {
    let method = if req.method() == actix_web::http::Method::GET {
        NotificationMethod::Get
    } else {
        NotificationMethod::Post
    };
    let body = if method == NotificationMethod::Post {
        read_body(req, payload).await?
    } else {
        Vec::new()
    };
    Ok(IncomingNotification {
        method,
        query: req.query_string().to_owned(),
        content_type: req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
        path_token: None,
    })
}

/// `GET|POST /payments/pesapal/ipn`: answers Pesapal's acknowledgement, `status` 200 when handled
/// (including already handled and still pending), 500 (and HTTP 500) when Pesapal should resend.
pub async fn pesapal_ipn(
    req: HttpRequest,
    mut payload: web::Payload,
    app: web::Data<UseCases>,
) -> ApiResult<HttpResponse> {
    let incoming = incoming(&req, &mut payload).await?;
    match app.handle_pesapal_notification(incoming, "ipn").await {
        Ok((ipn, applied)) => {
            let handled = applied != Applied::UnknownReference;
            let status = if handled {
                StatusCode::OK
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            Ok(HttpResponse::build(status)
                .content_type("application/json")
                .body(ipn.acknowledgement(handled)))
        }
        Err(PesapalNotificationError::NotHandled(ipn, e)) => {
            tracing::warn!(error = %wetech_app::error::chain(&e), "pesapal IPN not handled; Pesapal will resend");
            Ok(HttpResponse::InternalServerError()
                .content_type("application/json")
                .body(ipn.acknowledgement(false)))
        }
        Err(PesapalNotificationError::Malformed(m)) => Err(ApiError::Malformed(m)),
        Err(PesapalNotificationError::Disabled) => {
            Err(ApiError::NotFound("pesapal is not enabled".to_owned()))
        }
    }
}

/// `GET /payments/pesapal/return`: the customer's browser after paying. Verified like an IPN, then
/// 303 to the invoice page (which shows whatever the gateway said, pending included).
pub async fn pesapal_return(
    req: HttpRequest,
    mut payload: web::Payload,
    app: web::Data<UseCases>,
) -> ApiResult<HttpResponse> {
    let incoming = incoming(&req, &mut payload).await?;
    let reference = match app.handle_pesapal_notification(incoming, "return").await {
        Ok((ipn, _)) | Err(PesapalNotificationError::NotHandled(ipn, _)) => ipn.merchant_reference,
        Err(PesapalNotificationError::Malformed(m)) => return Err(ApiError::Malformed(m)),
        Err(PesapalNotificationError::Disabled) => {
            return Err(ApiError::NotFound("pesapal is not enabled".to_owned()));
        }
    };
    // A reference that is not one of ours names no payment.
    let reference = wetech_domain::MerchantReference::parse(&reference)
        .map_err(|_| ApiError::NotFound("payment not found".to_owned()))?;
    let public_id = app.invoice_for_reference(&reference).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            wetech_app::paths::invoice_page(&public_id),
        ))
        .finish())
}

/// `POST /payments/azampay/callback/{token}`.
pub async fn azampay_callback(
    req: HttpRequest,
    mut payload: web::Payload,
    token: web::Path<String>,
    app: web::Data<UseCases>,
) -> ApiResult<HttpResponse> {
    let body = read_body(&req, &mut payload).await?;
    match app.handle_azampay_callback(&token, &body).await? {
        Applied::UnknownReference | Applied::NotOpen => Err(ApiError::NotFound(
            "no pending AzamPay payment has this utilityref".to_owned(),
        )),
        Applied::Mismatch(why) => Err(ApiError::from(wetech_app::AppError::Mismatch(why))),
        Applied::Settled
        | Applied::Failed
        | Applied::Reversed
        | Applied::StillPending
        | Applied::AlreadyHandled
        | Applied::PaidTwice(_)
        | Applied::UnderReview
        | Applied::Ignored(_) => Ok(HttpResponse::Ok().json(serde_json::json!({"success": true}))),
    }
}

/// Mounts the notification routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::http::Method;
    use wetech_app::paths;

    use crate::routes::methods::resource;
    cfg.service(resource(
        paths::PESAPAL_IPN,
        [
            (Method::GET, web::to(pesapal_ipn)),
            (Method::POST, web::to(pesapal_ipn)),
        ],
    ))
    .service(resource(
        paths::PESAPAL_RETURN,
        [(Method::GET, web::to(pesapal_return))],
    ))
    .service(resource(
        paths::AZAMPAY_CALLBACK,
        [(Method::POST, web::to(azampay_callback))],
    ));
    // A callback without a token in the path is refused like a wrong one.
    let bare = format!("{}/", paths::AZAMPAY_CALLBACK_BASE);
    for path in [paths::AZAMPAY_CALLBACK_BASE, bare.as_str()] {
        cfg.service(resource(path, [(Method::POST, web::to(missing_token))]));
    }
}

async fn missing_token() -> ApiResult<HttpResponse> {
    Err(ApiError::Unauthorized(
        "the callback token is missing".to_owned(),
    ))
}
