//! Access-token cache that follows the gateway's stated expiry.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::error::GatewayError;

/// How long a token is kept when the gateway gives no usable expiry.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(240);
/// Longest margin before the stated expiry at which a token is renewed.
const MAX_MARGIN: Duration = Duration::from_secs(60);

/// A token and when to stop using it. Deliberately no `Debug`.
struct CachedToken {
    value: SecretString,
    refresh_at: Instant,
}

/// One cached access token per client; concurrent callers wait for a single fetch.
#[derive(Default)]
pub(crate) struct TokenCache {
    slot: tokio::sync::Mutex<Option<CachedToken>>,
}

/// When to renew a token that expires at `expiry`, seen at `now`: a tenth of its lifetime
/// early, at most a minute early.
pub(crate) fn refresh_delay(expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    let lifetime = expiry
        .and_then(|e| (e - now).to_std().ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(FALLBACK_LIFETIME)
        .min(Duration::from_secs(24 * 3600));
    let margin = (lifetime / 10).min(MAX_MARGIN);
    lifetime.saturating_sub(margin)
}

/// Parses the expiry forms the gateways send: RFC 3339 with any number of fractional digits,
/// with or without a zone (no zone = UTC).
pub(crate) fn parse_expiry(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

impl TokenCache {
    /// The cached token, or a new one from `fetch` (which returns the token and its expiry).
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<SecretString, GatewayError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Option<DateTime<Utc>>), GatewayError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(token) = slot.as_ref()
            && Instant::now() < token.refresh_at
        {
            return Ok(token.value.clone());
        }
        let (value, expiry) = fetch().await?;
        let refresh_at = Instant::now() + refresh_delay(expiry, Utc::now());
        *slot = Some(CachedToken {
            value: value.clone(),
            refresh_at,
        });
        Ok(value)
    }

    /// Forgets `stale` (after a 401), unless another caller already replaced it.
    pub(crate) async fn invalidate(&self, stale: &SecretString) {
        let mut slot = self.slot.lock().await;
        if slot
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == stale.expose_secret())
        {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_stated_expiry_not_five_minutes() {
        let now = Utc::now();
        let hour = refresh_delay(Some(now + chrono::Duration::seconds(3600)), now);
        assert_eq!(hour, Duration::from_secs(3540));
        let five = refresh_delay(Some(now + chrono::Duration::seconds(300)), now);
        assert_eq!(five, Duration::from_secs(270));
        let short = refresh_delay(Some(now + chrono::Duration::seconds(2)), now);
        assert_eq!(short, Duration::from_millis(1800));
        assert_eq!(refresh_delay(None, now), Duration::from_secs(216));
        assert_eq!(
            refresh_delay(Some(now - chrono::Duration::seconds(5)), now),
            Duration::from_secs(216)
        );
    }

    #[test]
    fn parses_gateway_dates() {
        let p = parse_expiry("2024-03-18T16:25:45.7793772Z").unwrap();
        assert_eq!(p.to_rfc3339(), "2024-03-18T16:25:45.779377200+00:00");
        assert!(parse_expiry("2023-03-02T04:21:29Z").is_some());
        assert!(parse_expiry("2024-03-18T18:25:46.75").is_some());
        assert!(parse_expiry("tomorrow").is_none());
    }
}
