//! When a message that could not be delivered is tried again: exponential backoff with jitter,
//! until its retry window closes.

use chrono::{Duration, NaiveDateTime};
use rand::Rng;

use crate::settings::MailSettings;

/// What to do after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextTry {
    /// Try again at this time.
    At(NaiveDateTime),
    /// Give up: `failed`.
    GiveUp,
}

/// After try number `attempts` (1 for the first) of a message queued at `queued_at` failed at
/// `now`: the delay is `retry_base_secs × 2^(attempts-1)`, at most `retry_max_secs`, times a
/// random factor in [0.5, 1] (so that messages failed together do not come back together); a
/// try that would fall after `queued_at + give_up_after_secs`, or a permanent refusal repeated
/// `permanent_attempts` times, gives up.
pub fn next_try(
    settings: &MailSettings,
    attempts: i32,
    permanent: bool,
    queued_at: NaiveDateTime,
    now: NaiveDateTime,
    rng: &mut impl Rng,
) -> NextTry {
    let attempts = u32::try_from(attempts.max(1)).unwrap_or(1);
    if permanent && attempts >= settings.permanent_attempts {
        return NextTry::GiveUp;
    }
    let exponential = settings
        .retry_base_secs
        .saturating_mul(1u64 << (attempts - 1).min(40));
    let full_ms = exponential
        .min(settings.retry_max_secs)
        .saturating_mul(1000);
    let jittered_ms = rng.random_range(full_ms / 2..=full_ms);
    let delay = Duration::milliseconds(i64::try_from(jittered_ms).unwrap_or(i64::MAX));
    let window = Duration::seconds(i64::try_from(settings.give_up_after_secs).unwrap_or(i64::MAX));
    let at = now + delay;
    if at > queued_at + window {
        NextTry::GiveUp
    } else {
        NextTry::At(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn delays_double_with_jitter_up_to_the_cap_and_stop_after_a_day() {
        let s = MailSettings::default();
        let mut rng = rand::rng();
        let start = at(0);
        for (attempts, full) in [(1, 60), (2, 120), (3, 240), (7, 3600), (30, 3600)] {
            for _ in 0..50 {
                let NextTry::At(next) = next_try(&s, attempts, false, start, start, &mut rng)
                else {
                    panic!("gave up early");
                };
                let secs = (next - start).num_milliseconds() as f64 / 1000.0;
                assert!(
                    secs >= full as f64 / 2.0 && secs <= full as f64,
                    "{attempts}: {secs}"
                );
            }
        }
        // Close to the end of the 24 hours, the next try would fall outside: failed.
        let late = at(24 * 3600 - 10);
        assert_eq!(
            next_try(&s, 20, false, start, late, &mut rng),
            NextTry::GiveUp
        );
        // A permanent refusal gives up after its tries.
        assert!(matches!(
            next_try(&s, 2, true, start, start, &mut rng),
            NextTry::At(_)
        ));
        assert_eq!(
            next_try(&s, 3, true, start, start, &mut rng),
            NextTry::GiveUp
        );
    }
}
