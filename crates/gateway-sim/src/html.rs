//! Minimal HTML for the simulator's pages (no JavaScript, phone-sized).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A complete page around `body` (already escaped HTML).
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem}}\
         button{{font-size:1.1rem;padding:.5rem 1.2rem;margin:.3rem}}.note{{color:#a00}}</style></head>\
         <body><h1>{t}</h1><p class=\"note\">Development simulator: no real money moves.</p>{body}</body></html>",
        t = escape(title)
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// `GET /_simulator/`: what is served here.
pub(crate) async fn index() -> HttpResponse {
    page(
        StatusCode::OK,
        "Gateway simulator",
        "<ul><li>Pesapal API: <code>/_simulator/pesapal/api/…</code></li>\
         <li>AzamPay authenticator: <code>/_simulator/azampay/auth/…</code></li>\
         <li>AzamPay checkout: <code>/_simulator/azampay/checkout/…</code></li>\
         <li><a href=\"/_simulator/azampay/phone\">AzamPay phone (approve pushes)</a></li>\
         <li>Control API: <code>/_simulator/control/…</code></li></ul>",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
