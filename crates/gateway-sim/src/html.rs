//! Minimal HTML for the simulator's pages (no JavaScript, phone-sized). They take the site's
//! stylesheet (`/static/site.css`: the simulator is mounted on the site's origin by `web`) and the
//! site's frame (header, `main`, the same empty icon so a browser asks for no `/favicon.ico`),
//! plus a few rules of their own.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use wetech_i18n::Language;

/// The language of a customer-facing page: `?lang=`, else the site's `lang` cookie (the
/// simulator is mounted on the site's origin), else `Accept-Language`, else English — the
/// site's own rule.
pub(crate) fn language(req: &HttpRequest) -> Language {
    let query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    let cookie = req.cookie("lang").map(|c| c.value().to_owned());
    let accept = req
        .headers()
        .get("accept-language")
        .and_then(|v| v.to_str().ok());
    Language::choose(query.as_deref(), cookie.as_deref(), accept)
}

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

/// The site's stylesheet, served by `web` (bins/web/static/site.css) where the simulator is
/// mounted; a simulator spawned alone has none and its pages show unstyled.
pub(crate) const SITE_STYLESHEET_PATH: &str = "/static/site.css";

/// Where the simulator's own few rules are served. A stylesheet rather than an inline `<style>`:
/// the site's Content-Security-Policy allows only the site's own resources, so an inline style
/// would be blocked when the simulator is mounted in `web`.
pub(crate) const STYLESHEET_PATH: &str = "/_simulator/style.css";

/// The simulator's additions to the site's style: its warning banner, code names, and the
/// buttons side by side.
const STYLESHEET: &str = ".sim-note{font-weight:700}\
code{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:.9em}\
.sim-actions{display:flex;flex-wrap:wrap;gap:.5rem}.sim-actions button{flex:1 1 8rem}\
.sim-list{padding-left:1.2rem}.sim-list li{margin:0 0 1rem}\n";

/// `GET /_simulator/style.css`.
pub(crate) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// Links to `req`'s page in each other language (its query kept, `lang` replaced).
fn language_switch(req: &HttpRequest, lang: Language) -> String {
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let links: Vec<String> = Language::ALL
        .into_iter()
        .filter(|l| *l != lang)
        .map(|l| {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&kept)
                .append_pair("lang", l.code())
                .finish();
            format!(
                "<a href=\"{}?{}\" hreflang=\"{code}\" lang=\"{code}\">{}</a>",
                escape(req.path()),
                escape(&query),
                l.native_name(),
                code = l.code(),
            )
        })
        .collect();
    format!(
        "<nav class=\"languages\" aria-label=\"{}\">{}</nav>",
        escape(&lang.text("language-switch")),
        links.join(" · ")
    )
}

/// A complete page in the request's language around `body` (already escaped HTML), with links
/// to it in the other languages.
pub(crate) fn page(req: &HttpRequest, status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let lang = language(req);
    let html = format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><link rel=\"stylesheet\" href=\"{SITE_STYLESHEET_PATH}\">\
         <link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\"><link rel=\"icon\" href=\"data:,\"></head>\
         <body><header class=\"site\"><span class=\"brand\">wetech</span>{switch}</header>\
         <main><h1>{t}</h1><p class=\"notice warn sim-note\">{note}</p>{body}</main></body></html>",
        code = lang.code(),
        t = escape(title),
        note = escape(&lang.text("sim-note")),
        switch = language_switch(req, lang),
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// `GET /_simulator/`: what is served here (for developers, in English).
pub(crate) async fn index(req: HttpRequest) -> HttpResponse {
    page(
        &req,
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
        let req = actix_web::test::TestRequest::default()
            .uri("/_simulator/pesapal/page?OrderTrackingId=a%26b&lang=sw")
            .to_http_request();
        let res = super::page(&req, actix_web::http::StatusCode::OK, "T", "<p>x</p>");
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(!html.contains("<style"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains(super::STYLESHEET_PATH), "{html}");
        assert!(html.contains("<html lang=\"sw\">"), "{html}");
        assert!(html.contains("Kiigaji cha majaribio"), "{html}");
        assert!(
            html.contains("href=\"/_simulator/pesapal/page?OrderTrackingId=a%26b&amp;lang=en\""),
            "{html}"
        );
    }

    #[test]
    fn the_language_follows_the_sites_rule() {
        use actix_web::test::TestRequest;
        let sw = TestRequest::default()
            .uri("/_simulator/x?lang=sw")
            .to_http_request();
        assert_eq!(super::language(&sw), super::Language::Sw);
        let cookie = TestRequest::default()
            .cookie(actix_web::cookie::Cookie::new("lang", "sw"))
            .insert_header(("accept-language", "en"))
            .to_http_request();
        assert_eq!(super::language(&cookie), super::Language::Sw);
        let header = TestRequest::default()
            .insert_header(("accept-language", "fr, sw;q=0.5"))
            .to_http_request();
        assert_eq!(super::language(&header), super::Language::Sw);
        let none = TestRequest::default().to_http_request();
        assert_eq!(super::language(&none), super::Language::En);
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
