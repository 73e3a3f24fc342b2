//! `/health/`, `/health/ready/`, `/health/live/` (each also without the trailing slash).
//! Never rate limited, never redirected to HTTPS, bounded in time.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use wetech_ops::{HealthContext, Status};

const HEALTH_JSON: &str = "application/health+json";

fn health_response<T: Serialize>(status: Status, body: &T) -> HttpResponse {
    let code = match status {
        Status::Pass | Status::Warn => StatusCode::OK,
        Status::Fail => StatusCode::SERVICE_UNAVAILABLE,
    };
    let json = serde_json::to_string(body).unwrap_or_else(|_| r#"{"status":"fail"}"#.to_owned());
    HttpResponse::build(code)
        .content_type(HEALTH_JSON)
        .insert_header(("Cache-Control", "no-store"))
        .body(json)
}

async fn health(ctx: web::Data<HealthContext>) -> HttpResponse {
    let report = ctx.check().await;
    health_response(report.status, &report)
}

async fn ready(ctx: web::Data<HealthContext>) -> HttpResponse {
    let report = ctx.ready().await;
    health_response(report.status, &report)
}

#[derive(Serialize)]
struct Live {
    status: Status,
    version: &'static str,
}

async fn live() -> HttpResponse {
    health_response(
        Status::Pass,
        &Live {
            status: Status::Pass,
            version: wetech_ops::health::VERSION,
        },
    )
}

/// Mounts the health routes (`GET`, and `HEAD` for monitors that only look at the status).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::http::Method;

    use crate::routes::methods::resource;
    for path in ["/health", "/health/"] {
        cfg.service(resource(
            path,
            [
                (Method::GET, web::to(health)),
                (Method::HEAD, web::to(health)),
            ],
        ));
    }
    for path in ["/health/ready", "/health/ready/"] {
        cfg.service(resource(
            path,
            [
                (Method::GET, web::to(ready)),
                (Method::HEAD, web::to(ready)),
            ],
        ));
    }
    for path in ["/health/live", "/health/live/"] {
        cfg.service(resource(
            path,
            [(Method::GET, web::to(live)), (Method::HEAD, web::to(live))],
        ));
    }
}
