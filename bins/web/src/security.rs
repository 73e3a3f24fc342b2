//! Production security defaults (docs/interface.md, "Security defaults"): HTTPS redirect for every non-health route when the
//! request did not arrive over HTTPS, and the security headers on every response.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// The Content-Security-Policy: only the site's own resources. Forms post only to the site itself;
/// browsers also apply `form-action` to the redirect that follows a form post, so the origin of
/// the Pesapal payment page is added to it by [`content_security_policy`].
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// [`CONTENT_SECURITY_POLICY`] with extra `form-action` origins (e.g. `https://pay.pesapal.com`).
/// Anything that is not a plain `scheme://host[:port]` origin is left out.
#[must_use]
pub fn content_security_policy(form_action_origins: &[String]) -> String {
    let mut extra = String::new();
    for origin in form_action_origins {
        let plain = (origin.starts_with("https://") || origin.starts_with("http://"))
            && origin.split("://").nth(1).is_some_and(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            });
        if plain {
            extra.push(' ');
            extra.push_str(origin);
        }
    }
    CONTENT_SECURITY_POLICY.replace("form-action 'self'", &format!("form-action 'self'{extra}"))
}

/// Whether a path is a health probe (never redirected, never rate limited).
#[must_use]
pub fn is_health_path(path: &str) -> bool {
    path == "/health" || path.starts_with("/health/")
}

/// Whether the request arrived over HTTPS: told by `X-Forwarded-Proto` only behind a trusted proxy;
/// this server itself speaks plain HTTP. The right-most value counts, by the same rule as
/// `X-Forwarded-For` in `wetech_observability::client_ip`: a proxy that appends instead of
/// overwriting leaves whatever the client wrote in front of its own entry.
#[must_use]
pub fn arrived_over_https(req: &ServiceRequest, trust_proxy: bool) -> bool {
    trust_proxy && forwarded_proto_is_https(req.headers())
}

fn forwarded_proto_is_https(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get_all("x-forwarded-proto")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .last()
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Settings the production middleware needs.
#[derive(Clone)]
pub struct Hardening {
    /// Honour `X-Forwarded-Proto`.
    pub trust_proxy: bool,
    /// `https://host[:port]` taken from the configured public URL (never from the Host header, which
    /// a client controls).
    pub https_origin: String,
    /// The Content-Security-Policy sent with every response.
    pub csp: HeaderValue,
}

impl Hardening {
    /// Derives the HTTPS origin from the configured public URL.
    #[must_use]
    pub fn new(public_url: &str, trust_proxy: bool) -> Self {
        let rest = public_url
            .trim_end_matches('/')
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let host = rest.split('/').next().unwrap_or(rest);
        Self {
            trust_proxy,
            https_origin: format!("https://{host}"),
            csp: HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        }
    }

    /// Allows forms to lead (by redirect) to these origins too.
    #[must_use]
    pub fn with_form_action_origins(mut self, origins: &[String]) -> Self {
        if let Ok(v) = HeaderValue::from_str(&content_security_policy(origins)) {
            self.csp = v;
        }
        self
    }
}

fn set_common_headers(headers: &mut HeaderMap, csp: &HeaderValue) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // A route that needs a policy of its own (the development API docs page) sets it itself.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    }
}

fn set_security_headers(headers: &mut HeaderMap, csp: &HeaderValue) {
    set_common_headers(headers, csp);
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    // The old XSS filter is itself a hazard; the CSP replaces it.
    headers.insert(header::X_XSS_PROTECTION, HeaderValue::from_static("0"));
}

/// Production middleware: 301 to HTTPS for non-health routes not received over HTTPS, then the
/// security headers on every response (redirects and errors included).
pub async fn production(
    hardening: Hardening,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !is_health_path(req.path()) && !arrived_over_https(&req, hardening.trust_proxy) {
        let target = format!(
            "{}{}",
            hardening.https_origin,
            req.uri().path_and_query().map_or("/", |pq| pq.as_str())
        );
        let mut resp = HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, target))
            .finish();
        set_security_headers(resp.headers_mut(), &hardening.csp);
        return Ok(req.into_response(resp));
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    set_security_headers(res.headers_mut(), &hardening.csp);
    Ok(res)
}

/// Development: the same headers minus HSTS (which would pin a developer's browser to HTTPS on
/// 127.0.0.1).
pub async fn development(
    hardening: Hardening,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    set_common_headers(res.headers_mut(), &hardening.csp);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesapal_page_is_an_allowed_form_target() {
        let csp = content_security_policy(&[
            "https://pay.pesapal.com".to_owned(),
            "javascript:alert(1)".to_owned(),
            "https://x; script-src *".to_owned(),
        ]);
        assert!(
            csp.contains("form-action 'self' https://pay.pesapal.com;"),
            "{csp}"
        );
        assert!(
            !csp.contains("javascript") && !csp.contains("script-src *"),
            "{csp}"
        );
    }

    #[test]
    fn the_proxys_own_forwarded_proto_entry_counts() {
        use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
        let map = |values: &[&'static str]| {
            let mut m = HeaderMap::new();
            for v in values {
                m.append(
                    HeaderName::from_static("x-forwarded-proto"),
                    HeaderValue::from_static(v),
                );
            }
            m
        };
        assert!(forwarded_proto_is_https(&map(&["https"])));
        assert!(forwarded_proto_is_https(&map(&["http, https"])));
        assert!(forwarded_proto_is_https(&map(&["http", "https"])));
        // A client that writes "https" in front of what an appending proxy adds gains nothing.
        assert!(!forwarded_proto_is_https(&map(&["https, http"])));
        assert!(!forwarded_proto_is_https(&map(&["https", "http"])));
        assert!(!forwarded_proto_is_https(&map(&[])));
        assert!(!forwarded_proto_is_https(&map(&[""])));
    }

    #[test]
    fn https_origin_comes_from_configuration() {
        assert_eq!(
            Hardening::new("https://wetech.co.tz/", true).https_origin,
            "https://wetech.co.tz"
        );
        assert_eq!(
            Hardening::new("http://example.com:8443/app", true).https_origin,
            "https://example.com:8443"
        );
        assert!(is_health_path("/health"));
        assert!(is_health_path("/health/ready/"));
        assert!(!is_health_path("/healthy"));
    }
}
