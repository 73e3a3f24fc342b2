//! Per-client-address rate limiting of lead submission (a keyed GCRA limiter from `governor`).
//! Health routes never pass through here.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// A limiter of N requests a minute per client address (bursts up to N).
#[derive(Clone)]
pub struct LeadRateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trust_proxy: bool,
}

impl LeadRateLimit {
    /// `per_minute` is clamped to at least 1.
    #[must_use]
    pub fn new(per_minute: u32, trust_proxy: bool) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(n))),
            trust_proxy,
        }
    }

    /// The address a request is counted against: the peer, or behind a trusted proxy the
    /// right-most `X-Forwarded-For` address — the one the proxy appended itself (a client can
    /// send any addresses it likes in front of it) — else the `Forwarded` address.
    #[must_use]
    pub fn client_addr(&self, req: &HttpRequest) -> Option<IpAddr> {
        wetech_observability::client_ip(req, self.trust_proxy)
    }

    /// Counts one request; `Err(429)` with the wait when the address is over its quota.
    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(addr) = self.client_addr(req) else {
            return Ok(());
        };
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&addr).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited {
                // Rounded up: a client that waits this long is let in.
                retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn limits_per_address() {
        let rl = LeadRateLimit::new(3, false);
        let a = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .to_http_request();
        let b = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .to_http_request();
        for _ in 0..3 {
            rl.check(&a).unwrap();
        }
        let Err(ApiError::RateLimited { retry_after_secs }) = rl.check(&a) else {
            panic!("429 expected")
        };
        assert!((1..=60).contains(&retry_after_secs));
        rl.check(&b).unwrap();
    }

    #[test]
    fn forwarded_for_only_behind_trusted_proxy_and_its_own_entry() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "203.0.113.9, 10.0.0.1"))
            .to_http_request();
        assert_eq!(
            LeadRateLimit::new(1, true).client_addr(&req),
            Some("10.0.0.1".parse().unwrap())
        );
        let single = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "203.0.113.9"))
            .to_http_request();
        assert_eq!(
            LeadRateLimit::new(1, true).client_addr(&single),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            LeadRateLimit::new(1, false).client_addr(&req),
            Some("10.0.0.1".parse().unwrap())
        );
    }
}
