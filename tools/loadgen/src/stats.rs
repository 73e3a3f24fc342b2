//! Latency recording and the summary of one case: requests, errors, requests per second and
//! nearest-rank percentiles.

use std::collections::BTreeMap;
use std::time::Duration;

/// What one worker saw: the latency of every successful request, and the failures by kind.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    latencies: Vec<Duration>,
    errors: BTreeMap<String, u64>,
}

impl Recorder {
    /// An empty recorder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a request that got the expected answer after `latency`.
    pub fn success(&mut self, latency: Duration) {
        self.latencies.push(latency);
    }

    /// Records a failed request (a wrong status, a transport error, a timeout) under `kind`,
    /// e.g. `"status 429"` or `"transport: connection refused"`.
    pub fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_insert(0) += 1;
    }

    /// Adds another worker's records to this one.
    pub fn merge(&mut self, other: Recorder) {
        self.latencies.extend(other.latencies);
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_insert(0) += n;
        }
    }

    /// Successful requests so far.
    #[must_use]
    pub fn successes(&self) -> u64 {
        self.latencies.len() as u64
    }

    /// Failed requests so far.
    #[must_use]
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// The summary over `elapsed`, the wall time from the first request to the last answer.
    #[must_use]
    pub fn summarize(mut self, elapsed: Duration) -> Summary {
        self.latencies.sort_unstable();
        let successes = self.successes();
        let secs = elapsed.as_secs_f64();
        Summary {
            successes,
            errors: self.error_count(),
            error_kinds: self.errors,
            elapsed,
            requests_per_sec: if secs > 0.0 {
                successes as f64 / secs
            } else {
                0.0
            },
            p50: percentile(&self.latencies, 50.0),
            p90: percentile(&self.latencies, 90.0),
            p99: percentile(&self.latencies, 99.0),
            max: self.latencies.last().copied(),
        }
    }
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Requests answered with the expected status.
    pub successes: u64,
    /// Requests that failed in any way.
    pub errors: u64,
    /// Failures by kind.
    pub error_kinds: BTreeMap<String, u64>,
    /// Wall time of the measured phase.
    pub elapsed: Duration,
    /// Successful requests per second of `elapsed`.
    pub requests_per_sec: f64,
    /// Median latency of successful requests (`None` when there were none).
    pub p50: Option<Duration>,
    /// 90th percentile.
    pub p90: Option<Duration>,
    /// 99th percentile.
    pub p99: Option<Duration>,
    /// Slowest successful request.
    pub max: Option<Duration>,
}

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending): the smallest value
/// such that at least `p` % of the values are at or below it. `None` for an empty slice or a `p`
/// outside (0, 100].
///
/// ```
/// use std::time::Duration;
/// use wetech_loadgen::stats::percentile;
///
/// let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
/// assert_eq!(percentile(&ms, 50.0), Some(Duration::from_millis(50)));
/// assert_eq!(percentile(&ms, 99.0), Some(Duration::from_millis(99)));
/// ```
#[must_use]
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    // rank = ceil(p / 100 · n) in integers (p in millionths of the whole, i.e. four decimals of
    // a percent), so 99.9 % of 1000 is rank 999 and not 1000 by a floating-point hair.
    let millionths = (p * 10_000.0).round() as u128;
    let n = sorted.len() as u128;
    let rank = (millionths * n).div_ceil(1_000_000).clamp(1, n);
    sorted.get(usize::try_from(rank - 1).ok()?).copied()
}

/// Milliseconds with two decimals, or `-` when absent.
#[must_use]
pub fn fmt_ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.2}", d.as_secs_f64() * 1000.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=1000).map(Duration::from_micros).collect();
        assert_eq!(percentile(&v, 50.0), Some(Duration::from_micros(500)));
        assert_eq!(percentile(&v, 99.0), Some(Duration::from_micros(990)));
        assert_eq!(percentile(&v, 99.9), Some(Duration::from_micros(999)));
        assert_eq!(percentile(&v, 100.0), Some(Duration::from_micros(1000)));
        // A tiny p still picks the first value, not index -1.
        assert_eq!(percentile(&v, 0.0001), Some(Duration::from_micros(1)));
    }

    #[test]
    fn p99_of_few_samples_is_the_worst_one() {
        // With 10 samples, 99 % of them means all ten: one slow outlier must show in p99.
        let mut v = vec![ms(1); 9];
        v.push(ms(250));
        assert_eq!(percentile(&v, 99.0), Some(ms(250)));
        assert_eq!(percentile(&v, 50.0), Some(ms(1)));
        assert_eq!(percentile(&[ms(7)], 50.0), Some(ms(7)));
    }

    #[test]
    fn percentile_refuses_empty_and_out_of_range() {
        assert_eq!(percentile(&[], 50.0), None);
        let v = [ms(1), ms(2)];
        assert_eq!(percentile(&v, 0.0), None);
        assert_eq!(percentile(&v, -5.0), None);
        assert_eq!(percentile(&v, 100.5), None);
        assert_eq!(percentile(&v, f64::NAN), None);
        assert_eq!(percentile(&v, f64::INFINITY), None);
    }

    #[test]
    fn summary_merges_workers_sorts_and_counts_errors() {
        let mut a = Recorder::new();
        for v in [30, 10, 20] {
            a.success(ms(v));
        }
        a.error("status 500");
        let mut b = Recorder::new();
        for v in [40, 5] {
            b.success(ms(v));
        }
        b.error("status 500");
        b.error("transport: connection reset");
        a.merge(b);
        let s = a.summarize(Duration::from_secs(2));
        assert_eq!(s.successes, 5);
        assert_eq!(s.errors, 3);
        assert_eq!(s.error_kinds.get("status 500"), Some(&2));
        assert_eq!(s.error_kinds.get("transport: connection reset"), Some(&1));
        assert!((s.requests_per_sec - 2.5).abs() < 1e-9);
        assert_eq!(s.p50, Some(ms(20)));
        assert_eq!(s.p99, Some(ms(40)));
        assert_eq!(s.max, Some(ms(40)));
    }

    #[test]
    fn summary_of_nothing_has_no_latencies_and_zero_rate() {
        let s = Recorder::new().summarize(Duration::ZERO);
        assert_eq!(s.successes, 0);
        assert_eq!(s.requests_per_sec, 0.0);
        assert_eq!(s.p99, None);
        assert_eq!(fmt_ms(s.p99), "-");
        assert_eq!(fmt_ms(Some(Duration::from_micros(1234))), "1.23");
    }
}
