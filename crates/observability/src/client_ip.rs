//! Which address a request comes from, the one rule for the request log and the rate limiter.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;

/// The address a request comes from: the peer, or behind a trusted proxy (`trust_proxy`) the
/// right-most `X-Forwarded-For` address — the one the proxy appended itself; a client can put any
/// addresses it likes in front of it — else the proxy's `Forwarded` address. `None` when no
/// address is known (a test request without a peer).
#[must_use]
pub fn client_ip(req: &HttpRequest, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy
        && let Some(addr) = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .last()
    {
        return Some(addr);
    }
    let info = req.connection_info();
    let raw = if trust_proxy {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    raw.and_then(|raw| {
        raw.parse::<IpAddr>()
            .ok()
            .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
    })
    .or_else(|| req.peer_addr().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn behind_a_trusted_proxy_the_proxys_own_entry_counts() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "203.0.113.9, 198.51.100.7"))
            .to_http_request();
        // The left-most entry is whatever the client wrote; the proxy appended the last one.
        assert_eq!(client_ip(&req, true), ip("198.51.100.7"));
        assert_eq!(client_ip(&req, false), ip("10.0.0.1"));
        let split = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "1.2.3.4"))
            .append_header(("X-Forwarded-For", "203.0.113.9"))
            .to_http_request();
        assert_eq!(client_ip(&split, true), ip("203.0.113.9"));
    }

    #[test]
    fn without_a_usable_header_the_peer_counts() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "not-an-address, also bad"))
            .to_http_request();
        assert_eq!(client_ip(&req, true), ip("10.0.0.1"));
        let bare = TestRequest::default().to_http_request();
        assert_eq!(client_ip(&bare, false), None);
    }
}
