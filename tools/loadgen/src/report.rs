//! The targets docs/benchmarks.md sets and the markdown report of one server run.

use std::fmt::Write as _;
use std::time::Duration;

use crate::load::Case;
use crate::procfs::mib;
use crate::stats::{Summary, fmt_ms};

/// Lead submissions per second must reach this share of the one-row-transaction baseline.
pub const MIN_LEAD_RATIO: f64 = 0.60;
/// Every case's p99 latency must stay under this.
pub const MAX_P99: Duration = Duration::from_millis(20);
/// The server's peak resident memory must stay under this.
pub const MAX_PEAK_RSS: u64 = 64 * 1024 * 1024;

/// The measured cases of one server run, and what was measured around them.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// e.g. `sqlite, log level warn`.
    pub label: String,
    /// Each case with its summary and the server's RSS right after it (bytes).
    pub cases: Vec<(Case, Summary, Option<u64>)>,
    /// The persistence benchmark's one-row transactions per second, when measured.
    pub baseline_tx_per_sec: Option<f64>,
    /// The persistence benchmark's lead unit of work (the same transaction as the endpoint,
    /// without HTTP) per second, when measured: shows how much of the gap is the transaction
    /// itself and how much the HTTP layer.
    pub lead_uow_tx_per_sec: Option<f64>,
    /// The server's `VmHWM` at the end (bytes).
    pub peak_rss: Option<u64>,
}

/// One target and whether it was met.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What is checked, with the measured figure.
    pub what: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measurable in this run.
    pub met: Option<bool>,
}

impl RunReport {
    fn case(&self, case: Case) -> Option<&Summary> {
        self.cases
            .iter()
            .find_map(|(c, s, _)| (*c == case).then_some(s))
    }

    /// Lead submissions per second divided by the baseline.
    #[must_use]
    pub fn lead_ratio(&self) -> Option<f64> {
        let leads = self.case(Case::Leads)?.requests_per_sec;
        let base = self.baseline_tx_per_sec?;
        (base > 0.0).then(|| leads / base)
    }

    /// Lead submissions per second divided by the lead unit of work's rate.
    #[must_use]
    pub fn lead_uow_ratio(&self) -> Option<f64> {
        let leads = self.case(Case::Leads)?.requests_per_sec;
        let uow = self.lead_uow_tx_per_sec?;
        (uow > 0.0).then(|| leads / uow)
    }

    /// The slowest p99 over the cases, with its case.
    #[must_use]
    pub fn worst_p99(&self) -> Option<(Case, Duration)> {
        self.cases
            .iter()
            .filter_map(|(c, s, _)| s.p99.map(|p| (*c, p)))
            .max_by_key(|(_, p)| *p)
    }

    /// Errors over every case.
    #[must_use]
    pub fn errors(&self) -> u64 {
        self.cases.iter().map(|(_, s, _)| s.errors).sum()
    }

    /// The four targets of docs/benchmarks.md against this run.
    #[must_use]
    pub fn checks(&self) -> Vec<Check> {
        let ratio = match (self.lead_ratio(), self.baseline_tx_per_sec) {
            (Some(r), Some(base)) => Check {
                what: format!(
                    "lead submission {:.0} % of the one-row-transaction baseline ({base:.0} tx/s), target ≥ {:.0} %",
                    r * 100.0,
                    MIN_LEAD_RATIO * 100.0
                ),
                met: Some(r >= MIN_LEAD_RATIO),
            },
            _ => Check {
                what: "lead submission vs baseline: not measured".to_owned(),
                met: None,
            },
        };
        let errors = self.errors();
        let answered: u64 = self.cases.iter().map(|(_, s, _)| s.successes).sum();
        let errors = Check {
            what: format!(
                "{errors} errors in {} requests, target 0",
                answered + errors
            ),
            met: Some(errors == 0 && answered > 0),
        };
        let p99 = match self.worst_p99() {
            Some((case, p)) => Check {
                what: format!(
                    "worst p99 {} ms ({}), target < {} ms",
                    fmt_ms(Some(p)),
                    case.label(),
                    MAX_P99.as_millis()
                ),
                met: Some(p < MAX_P99),
            },
            None => Check {
                what: "p99: no successful request".to_owned(),
                met: Some(false),
            },
        };
        let rss = match self.peak_rss {
            Some(peak) => Check {
                what: format!(
                    "peak RSS (VmHWM) {:.1} MiB, target < {} MiB",
                    mib(peak),
                    MAX_PEAK_RSS / (1024 * 1024)
                ),
                met: Some(peak < MAX_PEAK_RSS),
            },
            None => Check {
                what: "peak RSS: not measured (no --server-pid)".to_owned(),
                met: None,
            },
        };
        vec![ratio, errors, p99, rss]
    }

    /// `true` when no measured target was missed.
    #[must_use]
    pub fn all_met(&self) -> bool {
        self.checks().iter().all(|c| c.met != Some(false))
    }

    /// The markdown block: a table of the cases and the targets.
    #[must_use]
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "#### {}\n", self.label);
        let _ = writeln!(
            out,
            "| case | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms | server RSS after (MiB) |"
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (case, s, rss) in &self.cases {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
                case.label(),
                s.successes + s.errors,
                s.errors,
                s.requests_per_sec,
                fmt_ms(s.p50),
                fmt_ms(s.p90),
                fmt_ms(s.p99),
                fmt_ms(s.max),
                rss.map_or_else(|| "-".to_owned(), |b| format!("{:.1}", mib(b)))
            );
        }
        for (case, s, _) in &self.cases {
            if !s.error_kinds.is_empty() {
                let _ = writeln!(out, "\nerrors in `{}`: {:?}", case.label(), s.error_kinds);
            }
        }
        out.push('\n');
        for check in self.checks() {
            let verdict = match check.met {
                Some(true) => "met",
                Some(false) => "**MISSED**",
                None => "n/a",
            };
            let _ = writeln!(out, "- {verdict}: {}", check.what);
        }
        if let (Some(r), Some(uow)) = (self.lead_uow_ratio(), self.lead_uow_tx_per_sec) {
            let _ = writeln!(
                out,
                "- for reference: lead submission over HTTP is {:.0} % of the lead unit of work alone ({uow:.0} tx/s, no HTTP)",
                r * 100.0
            );
        }
        out
    }

    /// One row of the cross-run summary table (see [`SUMMARY_HEADER`]).
    #[must_use]
    pub fn summary_row(&self) -> String {
        let rps = |c| {
            self.case(c)
                .map_or_else(|| "-".to_owned(), |s| format!("{:.0}", s.requests_per_sec))
        };
        let missed: Vec<&str> = self
            .checks()
            .iter()
            .zip(["ratio", "errors", "p99", "RSS"])
            .filter_map(|(c, name)| (c.met == Some(false)).then_some(name))
            .collect();
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.label,
            rps(Case::Leads),
            self.baseline_tx_per_sec
                .map_or_else(|| "-".to_owned(), |b| format!("{b:.0}")),
            self.lead_ratio()
                .map_or_else(|| "-".to_owned(), |r| format!("{:.0} %", r * 100.0)),
            self.lead_uow_tx_per_sec
                .map_or_else(|| "-".to_owned(), |b| format!("{b:.0}")),
            self.lead_uow_ratio()
                .map_or_else(|| "-".to_owned(), |r| format!("{:.0} %", r * 100.0)),
            rps(Case::Invoices),
            rps(Case::Live),
            self.worst_p99()
                .map_or_else(|| "-".to_owned(), |(_, p)| fmt_ms(Some(p))),
            self.errors(),
            self.peak_rss
                .map_or_else(|| "-".to_owned(), |b| format!("{:.1}", mib(b))),
            if missed.is_empty() {
                "all met".to_owned()
            } else {
                format!("missed: {}", missed.join(", "))
            }
        )
    }
}

impl RunReport {
    /// The figures as one JSON object, `label` given: `{"label", "peak_rss_bytes", "cases":
    /// {"leads" | "invoices" | "live": {"rps", "p50_ms", "p99_ms", "errors"}}}` (latencies in
    /// milliseconds with microsecond precision, `null` without a successful request).
    #[must_use]
    pub fn json_row(&self, label: &str) -> serde_json::Value {
        let ms = |d: Option<Duration>| d.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3);
        let cases: serde_json::Map<String, serde_json::Value> = self
            .cases
            .iter()
            .map(|(case, s, _)| {
                (
                    case.name().to_owned(),
                    serde_json::json!({
                        "rps": s.requests_per_sec,
                        "p50_ms": ms(s.p50),
                        "p99_ms": ms(s.p99),
                        "errors": s.errors,
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "label": label,
            "peak_rss_bytes": self.peak_rss,
            "cases": cases,
        })
    }
}

/// The header of the cross-run summary table built from [`RunReport::summary_row`].
pub const SUMMARY_HEADER: &str = "| run | leads req/s | baseline tx/s | ratio | lead UoW tx/s | leads ÷ UoW | invoices req/s | live req/s | worst p99 ms | errors | peak RSS MiB | targets |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Recorder;

    fn summary(rps: u64, p99_ms: u64, errors: u64) -> Summary {
        let mut r = Recorder::new();
        for _ in 0..rps {
            r.success(Duration::from_millis(1));
        }
        r.success(Duration::from_millis(p99_ms));
        for _ in 0..errors {
            r.error("status 500");
        }
        let mut s = r.summarize(Duration::from_secs(1));
        s.p99 = Some(Duration::from_millis(p99_ms));
        s
    }

    fn report(lead_rps: u64, p99_ms: u64, errors: u64, peak_mib: u64) -> RunReport {
        RunReport {
            label: "sqlite, log level warn".to_owned(),
            cases: vec![
                (
                    Case::Leads,
                    summary(lead_rps, p99_ms, errors),
                    Some(20 << 20),
                ),
                (Case::Live, summary(5000, 2, 0), None),
            ],
            baseline_tx_per_sec: Some(1000.0),
            lead_uow_tx_per_sec: Some(875.0),
            peak_rss: Some(peak_mib << 20),
        }
    }

    #[test]
    fn a_good_run_meets_every_target() {
        let r = report(700, 12, 0, 30);
        let ratio = r.lead_ratio().unwrap();
        assert!((ratio - 0.701).abs() < 1e-9, "{ratio}");
        assert!(r.all_met(), "{:?}", r.checks());
        assert!(r.summary_row().ends_with("| all met |"));
        let md = r.markdown();
        assert!(
            md.contains("| `POST /api/v1/leads` | 701 | 0 | 701 |"),
            "{md}"
        );
        assert!(!md.contains("MISSED"));
        assert!(
            md.contains("HTTP is 80 % of the lead unit of work alone (875 tx/s"),
            "{md}"
        );
        assert!(
            r.summary_row().contains("| 70 % | 875 | 80 % |"),
            "{}",
            r.summary_row()
        );
        // The row has as many cells as the header.
        let cells = |line: &str| line.matches('|').count();
        assert_eq!(
            cells(&r.summary_row()),
            cells(SUMMARY_HEADER.lines().next().unwrap())
        );
    }

    #[test]
    fn each_missed_target_is_named() {
        let r = report(500, 25, 3, 80);
        let checks = r.checks();
        assert!(checks.iter().all(|c| c.met == Some(false)), "{checks:?}");
        assert!(!r.all_met());
        assert!(
            r.summary_row()
                .ends_with("| missed: ratio, errors, p99, RSS |"),
            "{}",
            r.summary_row()
        );
        let md = r.markdown();
        assert!(
            md.contains("**MISSED**: worst p99 25.00 ms (POST /api/v1/leads)"),
            "{md}"
        );
        assert!(md.contains("errors in `POST /api/v1/leads`"));
    }

    #[test]
    fn boundaries_are_strict_where_the_issue_says_under() {
        // 20 ms is not under 20 ms; 64 MiB is not under 64 MiB; exactly 60 % is enough.
        let r = report(599, 20, 0, 64);
        let met: Vec<_> = r.checks().into_iter().map(|c| c.met).collect();
        assert_eq!(met, [Some(true), Some(true), Some(false), Some(false)]);
    }

    #[test]
    fn missing_baseline_or_pid_is_not_a_pass_or_a_miss() {
        let mut r = report(700, 5, 0, 30);
        r.baseline_tx_per_sec = None;
        r.lead_uow_tx_per_sec = None;
        r.peak_rss = None;
        let checks = r.checks();
        assert_eq!(checks[0].met, None);
        assert_eq!(checks[3].met, None);
        assert!(r.all_met());
        assert!(
            r.summary_row().contains("| - | - | - | - |"),
            "{}",
            r.summary_row()
        );
        assert!(!r.markdown().contains("for reference"));
        // No successful request at all is a miss, not a vacuous pass.
        let empty = RunReport {
            label: "x".to_owned(),
            cases: vec![(Case::Live, Recorder::new().summarize(Duration::ZERO), None)],
            baseline_tx_per_sec: None,
            lead_uow_tx_per_sec: None,
            peak_rss: None,
        };
        assert!(!empty.all_met());
    }
}
