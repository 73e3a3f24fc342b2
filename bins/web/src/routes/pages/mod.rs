//! The customer pages (docs/interface.md, "Customer pages"): the catalogue with the lead form, the invoice with its pay
//! forms, and the two form posts. HTML comes from askama templates in `templates/` (compiled in,
//! HTML-escaped by default — no template uses `|safe`); the one stylesheet is compiled in as well and
//! served at [`STYLESHEET_PATH`]. No JavaScript, no inline style, nothing from another origin, so the
//! pages live within the site's Content-Security-Policy.
//!
//! | route | module |
//! |---|---|
//! | `GET /` — services and the lead form (`?service=CODE` preselects one) | [`index`] |
//! | `POST /leads` — the lead form; 303 to the invoice page | [`lead`] |
//! | `GET /invoices/{id}` — the invoice; pay forms while unpaid; refreshes itself while pending | [`invoice`] |
//! | `POST /invoices/{id}/pay` — `gateway` (+ `phone`, `provider`); 303 to Pesapal or back | [`pay`] |
//! | `GET /invoices/{id}/receipt.pdf` — the receipt of a paid or refunded invoice (PDF); else 409 | [`receipt`] |
//! | `GET /static/site.css` — the stylesheet | [`html`] |
//!
//! Every form carries the double-submit token of [`crate::csrf`]; a POST without the right token is a
//! 403 page and nothing else is done. A person never sees JSON: errors are HTML pages with the status
//! of the JSON API's mapping ([`errors`]), and a form with mistakes comes back (422) with the
//! messages next to the fields and the values as they were typed ([`form`]). [`format`] writes
//! amounts, times and our enums for people.

pub mod errors;
pub mod form;
pub mod format;
pub mod frame;
pub mod html;
pub mod index;
pub mod invoice;
pub mod lead;
pub mod pay;
pub mod receipt;

use actix_web::http::Method;
use actix_web::web;
use wetech_app::paths;

pub use errors::PageError;
pub use html::STYLESHEET_PATH;

use crate::routes::methods::resource;

/// Mounts the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/", [(Method::GET, web::to(index::home))]))
        .service(resource(
            "/leads",
            [
                (Method::POST, web::to(lead::submit_lead)),
                // A reload of the re-rendered form, or a typed address: back to the form.
                (Method::GET, web::to(|| async { html::see_other("/") })),
            ],
        ))
        .service(resource(
            paths::INVOICE_PAGE,
            [(Method::GET, web::to(invoice::invoice))],
        ))
        .service(resource(
            paths::INVOICE_PAY,
            [
                (Method::POST, web::to(pay::pay)),
                (Method::GET, web::to(pay::pay_get)),
            ],
        ))
        .service(resource(
            paths::INVOICE_RECEIPT,
            [(Method::GET, web::to(receipt::receipt))],
        ))
        .service(resource(
            STYLESHEET_PATH,
            [(Method::GET, web::to(html::stylesheet))],
        ));
}
