//! Per-client-address rate limiting of lead submission. Health routes never pass through here.
//!
//! Two stores (`server.rate_limit_store`, docs/configuration.md): `memory`, a keyed GCRA limiter
//! from `governor` in this process (the default on SQLite, one instance), and `database`, a
//! counter per client and one-minute window kept in the database, so every instance on it counts
//! the same requests (the default on PostgreSQL; docs/operations.md, "Several instances").

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_web::HttpRequest;
use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;
use wetech_persistence::{UnitOfWork, rate_limits};

use crate::error::ApiError;

/// The database store's window.
const WINDOW_SECS: i64 = 60;

/// A limiter of N lead submissions a minute per client address.
#[derive(Clone)]
pub struct LeadRateLimit {
    store: Store,
    trust_proxy: bool,
}

#[derive(Clone)]
enum Store {
    /// Bursts up to N, refilled smoothly.
    Memory(Arc<DefaultKeyedRateLimiter<IpAddr>>),
    /// N per fixed minute, counted in the database.
    Database(Arc<DatabaseCounter>),
}

struct DatabaseCounter {
    uow: UnitOfWork,
    per_minute: i32,
    /// Keys the hash of a client address, so the table never holds an address (nor one that a
    /// table of all IPv4 addresses' hashes would give back).
    key: SecretString,
    /// The window this process last pruned before: older windows are deleted once a minute,
    /// not per request.
    pruned: AtomicI64,
}

impl LeadRateLimit {
    /// Counted in this process. `per_minute` is clamped to at least 1.
    #[must_use]
    pub fn new(per_minute: u32, trust_proxy: bool) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            store: Store::Memory(Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
            trust_proxy,
        }
    }

    /// Counted in the database of `uow`, shared by every instance on it; client addresses are
    /// kept only as an HMAC under `key` (the server's secret key). `per_minute` is clamped to
    /// at least 1.
    #[must_use]
    pub fn in_database(
        uow: UnitOfWork,
        per_minute: u32,
        trust_proxy: bool,
        key: SecretString,
    ) -> Self {
        Self {
            store: Store::Database(Arc::new(DatabaseCounter {
                uow,
                per_minute: i32::try_from(per_minute.max(1)).unwrap_or(i32::MAX),
                key,
                pruned: AtomicI64::new(i64::MIN),
            })),
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

    /// Counts one request; `Err(429)` with the wait when the address is over its quota, and
    /// an internal error when the database store cannot count.
    pub async fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(addr) = self.client_addr(req) else {
            return Ok(());
        };
        match &self.store {
            Store::Memory(limiter) => check_memory(limiter, addr),
            Store::Database(counter) => {
                let counter = counter.clone();
                let span = tracing::Span::current();
                tokio::task::spawn_blocking(move || span.in_scope(|| counter.check(addr)))
                    .await
                    .context("the rate-limit check did not finish")
                    .map_err(ApiError::internal)?
            }
        }
    }
}

fn check_memory(limiter: &DefaultKeyedRateLimiter<IpAddr>, addr: IpAddr) -> Result<(), ApiError> {
    if limiter.len() > 100_000 {
        limiter.retain_recent();
    }
    limiter.check_key(&addr).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::RateLimited {
            // Rounded up: a client that waits this long is let in.
            retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
        }
    })
}

impl DatabaseCounter {
    /// One upsert; before it, once per new window in this process, one indexed delete of the
    /// windows before it.
    fn check(&self, addr: IpAddr) -> Result<(), ApiError> {
        let now = chrono::Utc::now().timestamp();
        let window = now - now.rem_euclid(WINDOW_SECS);
        let mut conn = self
            .uow
            .connection()
            .context("a connection for the rate limit")
            .map_err(ApiError::internal)?;
        let mut count = || -> Result<i32, ApiError> {
            if self.pruned.swap(window, Ordering::Relaxed) != window {
                rate_limits::prune_before(&mut conn, window)
                    .context("pruning old rate-limit windows")
                    .map_err(ApiError::internal)?;
            }
            rate_limits::hit(&mut conn, &self.client_key(addr), window)
                .context("counting a lead submission")
                .map_err(ApiError::internal)
        };
        let counted = count();
        // Outside a unit of work, so marked here: a failed statement may mean a dead connection,
        // which the pool must test before anyone trusts it again (docs/operations.md, "Database
        // connections after a database restart").
        if counted.is_err() {
            conn.mark_suspect();
        }
        let count = counted?;
        if count > self.per_minute {
            return Err(ApiError::RateLimited {
                retry_after_secs: u64::try_from(window + WINDOW_SECS - now)
                    .unwrap_or(1)
                    .max(1),
            });
        }
        Ok(())
    }

    fn client_key(&self, addr: IpAddr) -> String {
        // HMAC accepts keys of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
        else {
            return String::new();
        };
        mac.update(b"lead-rate-limit\0");
        mac.update(addr.to_string().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[actix_web::test]
    async fn limits_per_address() {
        let rl = LeadRateLimit::new(3, false);
        let a = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .to_http_request();
        let b = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .to_http_request();
        for _ in 0..3 {
            rl.check(&a).await.unwrap();
        }
        let Err(ApiError::RateLimited { retry_after_secs }) = rl.check(&a).await else {
            panic!("429 expected")
        };
        assert!((1..=60).contains(&retry_after_secs));
        rl.check(&b).await.unwrap();
    }

    #[actix_web::test]
    async fn the_database_store_counts_in_the_database_under_a_keyed_hash() {
        let sqlite = Some(wetech_test_db::TestDb::sqlite());
        for db in [sqlite, wetech_test_db::TestDb::postgres()]
            .into_iter()
            .flatten()
        {
            database_store_on(&db).await;
        }
    }

    async fn database_store_on(db: &wetech_test_db::TestDb) {
        let key = SecretString::from("rate-limit-test-key");
        // Two limiters on one database stand for two instances: they share the count.
        let one = LeadRateLimit::in_database(db.unit_of_work(), 3, false, key.clone());
        let two = LeadRateLimit::in_database(db.unit_of_work(), 3, false, key);
        let a = TestRequest::default()
            .peer_addr("10.0.0.7:5000".parse().unwrap())
            .to_http_request();
        let b = TestRequest::default()
            .peer_addr("10.0.0.8:5000".parse().unwrap())
            .to_http_request();
        one.check(&a).await.unwrap();
        two.check(&a).await.unwrap();
        one.check(&a).await.unwrap();
        let Err(ApiError::RateLimited { retry_after_secs }) = two.check(&a).await else {
            panic!("429 expected on the second limiter")
        };
        assert!((1..=60).contains(&retry_after_secs));
        two.check(&b).await.unwrap();
        // Only keyed hashes are kept, never the address.
        let mut conn = db.conn();
        use diesel::prelude::*;
        use wetech_persistence::schema::rate_limit_counters::dsl;
        let keys: Vec<String> = dsl::rate_limit_counters
            .select(dsl::key)
            .load(&mut **conn)
            .unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.iter().all(|k| !k.contains("10.0.0")), "{keys:?}");
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
