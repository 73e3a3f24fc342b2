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

/// Where the pages' style is served. A stylesheet of its own rather than an inline `<style>`:
/// the site's Content-Security-Policy allows only the site's own resources, so an inline style
/// would be blocked when the simulator is mounted in `web`.
pub(crate) const STYLESHEET_PATH: &str = "/_simulator/style.css";

const STYLESHEET: &str = "body{font-family:sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem}\
button{font-size:1.1rem;padding:.5rem 1.2rem;margin:.3rem}.note{color:#a00}\n";

/// `GET /_simulator/style.css`.
pub(crate) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// A complete page around `body` (already escaped HTML).
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\"></head>\
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
    #[actix_web::test]
    async fn pages_have_no_inline_style_and_link_their_stylesheet() {
        let res = super::page(actix_web::http::StatusCode::OK, "T", "<p>x</p>");
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(!html.contains("<style"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains(super::STYLESHEET_PATH), "{html}");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
