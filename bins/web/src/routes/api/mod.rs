//! The JSON API (docs/interface.md, "JSON API"): the handlers, and the bodies they answer with ([`dto`]), from
//! which the OpenAPI document ([`crate::openapi`]) is derived.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/v1/services` | the active services |
//! | `POST /api/v1/leads` | a lead; 201 with the invoice issued (idempotent by key) |
//! | `GET /api/v1/invoices/{id}` | an invoice with its payment attempts |
//! | `POST /api/v1/invoices/{id}/payments` | start a payment |
//! | `GET /api/openapi.json` | the OpenAPI document |
//! | `GET /api/docs` | the document for people (development only) |

pub mod dto;
pub mod handlers;

use actix_web::http::Method;
use actix_web::web;

use crate::routes::methods::resource;

/// Mounts the API; the human view of the document only when `docs_page` (development).
pub fn configure(cfg: &mut web::ServiceConfig, docs_page: bool) {
    cfg.service(
        web::scope("/api/v1")
            .service(resource(
                "/services",
                [(Method::GET, web::to(handlers::services))],
            ))
            .service(resource(
                "/leads",
                [(Method::POST, web::to(handlers::create_lead))],
            ))
            .service(resource(
                "/invoices/{id}",
                [(Method::GET, web::to(handlers::invoice))],
            ))
            .service(resource(
                "/invoices/{id}/payments",
                [(Method::POST, web::to(handlers::start_payment))],
            )),
    )
    .service(resource(
        crate::openapi::DOCUMENT_PATH,
        [(Method::GET, web::to(crate::openapi::document))],
    ));
    if docs_page {
        cfg.service(resource(
            crate::openapi::DOCS_PATH,
            [(Method::GET, web::to(crate::openapi::docs_page))],
        ));
    }
}
