//! The `loadgen` command line.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::load::{Case, Limit, LoadGen, loopback_origin};
use crate::pages::Page;
use crate::report::{Backend, RunReport, SUMMARY_HEADER, Targets};
use crate::stats::fmt_ms;
use crate::{criterion, pages, procfs};

/// A bounded HTTP load generator for the wetech `web` binary (127.0.0.1 only).
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Waits for the server, submits warm-up leads, measures each case, prints a markdown report.
    Run(Box<RunArgs>),
    /// Prints a free TCP port on 127.0.0.1 (for starting the server).
    FreePort,
    /// Prints the header of the summary table that `run --summary-row` appends to.
    SummaryHeader,
    /// Reads signed-in pages one at a time (the back-office benchmark), prints their p50/p99
    /// against the target as a markdown table.
    Pages(PagesArgs),
    /// Half an hour of the mixed load at half its measured maximum, in one-minute windows;
    /// prints the windows and the verdicts (RSS growth, p99 drift, errors, descriptor and
    /// database connection leaks), exit status 1 when one fails (scripts/soak.sh).
    Soak(Box<SoakArgs>),
}

#[derive(Debug, clap::Args)]
struct SoakArgs {
    /// The server's origin, e.g. http://127.0.0.1:8000 (loopback addresses only).
    #[arg(long)]
    url: String,
    /// The server's process id (its memory, threads and open descriptors are read).
    #[arg(long)]
    server_pid: u32,
    /// A file holding the `Cookie` header of a signed-in admin session (for /admin/ lists).
    #[arg(long, value_name = "FILE")]
    cookie_file: PathBuf,
    /// A file holding the server's `payments.azampay.callback_token`.
    #[arg(long, value_name = "FILE")]
    callback_token_file: PathBuf,
    /// Seconds of paced load.
    #[arg(long, default_value_t = 1800, value_parser = clap::value_parser!(u64).range(3..=86_400))]
    duration: u64,
    /// Seconds at the start of the paced load left out of the RSS and p99 comparisons.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    settle: u64,
    /// Seconds per window of the report.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    window: u64,
    /// Seconds at the start (after --settle) and at the end whose windows' p99 are compared
    /// (at most half of the time after --settle each).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    drift_span: u64,
    /// Seconds of closed-loop load measuring the maximum.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    max_duration: u64,
    /// Unmeasured seconds of closed-loop load before.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=600))]
    max_warm_up: u64,
    /// Closed-loop connections measuring the maximum.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// The paced rate as a fraction of the measured maximum.
    #[arg(long, default_value_t = 0.5)]
    load_fraction: f64,
    /// Pace at this many requests per second instead of measuring the maximum.
    #[arg(long)]
    rate: Option<f64>,
    /// Leads submitted before measuring (their invoices are read and paid).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    prep_leads: u64,
    /// The first n of the lead e-mail addresses `user{n}@example.com`.
    #[arg(long, default_value_t = 1)]
    first_user: u64,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
    /// Per-request timeout in seconds (a timeout counts as an error).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Seconds to wait for GET /health/ready/ to answer 200.
    #[arg(long, default_value_t = 60.0)]
    ready_timeout: f64,
    /// Seconds of quiet before each idle sample (after the outbox drained).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    idle_wait: u64,
    /// Seconds an idle sample waits for the outbox to drain (needs --metrics-url).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(0..=3600))]
    drain_timeout: u64,
    /// Paced operations in flight at most; one due beyond that is not sent and is an error.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    max_in_flight: u32,
    /// The server's metrics origin, e.g. http://127.0.0.1:9464 (outbox and pool gauges).
    #[arg(long)]
    metrics_url: Option<String>,
    /// A shell command that prints the number of the server's database connections (e.g. a
    /// psql count of pg_stat_activity), run at each window's end and at idle.
    #[arg(long, value_name = "COMMAND")]
    db_connections_command: Option<String>,
    /// The server's configured pool size: database connections at idle after the soak may
    /// reach it even when there were fewer before.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    db_pool_size: Option<u64>,
    /// Write `paced <unix time>` to FILE when the paced load starts and `done` when it ends
    /// (for the script's backups).
    #[arg(long, value_name = "FILE")]
    paced_marker: Option<PathBuf>,
}

impl SoakArgs {
    fn settings(&self) -> anyhow::Result<crate::soak::Settings> {
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
        };
        Ok(crate::soak::Settings {
            origin: loopback_origin(&self.url)?,
            server_pid: self.server_pid,
            cookie: read(&self.cookie_file)?,
            callback_token: read(&self.callback_token_file)?,
            duration: Duration::from_secs(self.duration),
            settle: Duration::from_secs(self.settle),
            window: Duration::from_secs(self.window),
            drift_span: Duration::from_secs(self.drift_span),
            max_duration: Duration::from_secs(self.max_duration),
            max_warm_up: Duration::from_secs(self.max_warm_up),
            connections: usize::from(self.connections),
            load_fraction: self.load_fraction,
            rate: self.rate,
            prep_leads: self.prep_leads,
            first_user: self.first_user,
            timeout: seconds(self.timeout, "timeout")?,
            ready_timeout: seconds(self.ready_timeout, "ready-timeout")?,
            idle_wait: Duration::from_secs(self.idle_wait),
            drain_timeout: Duration::from_secs(self.drain_timeout),
            max_in_flight: self.max_in_flight as usize,
            metrics_origin: self
                .metrics_url
                .as_deref()
                .map(loopback_origin)
                .transpose()?,
            db_connections_command: self.db_connections_command.clone(),
            db_pool_size: self.db_pool_size,
            paced_marker: self.paced_marker.clone(),
        })
    }
}

#[derive(Debug, clap::Args)]
struct PagesArgs {
    /// The server's origin, e.g. http://127.0.0.1:8000 (loopback addresses only).
    #[arg(long)]
    url: String,
    /// A file holding the `Cookie` header's value (the session), kept out of the process list.
    #[arg(long, value_name = "FILE")]
    cookie_file: PathBuf,
    /// Pages to read, each `LABEL=/path?query`, in order.
    #[arg(long = "page", required = true)]
    pages: Vec<Page>,
    /// Measured requests per page.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    requests: u32,
    /// Unmeasured requests per page before.
    #[arg(long, default_value_t = 10)]
    warm_up: u32,
    /// The p99 each page must stay under, in milliseconds.
    #[arg(long, default_value_t = 100)]
    target_ms: u64,
    /// Per-request timeout in seconds (a timeout counts as an error).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Exit with status 1 when a target is missed.
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The server's origin, e.g. http://127.0.0.1:8000 (loopback addresses only); repeated for
    /// several instances of one site, whose connections are then spread over them in turn.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// Name of this run in the report, e.g. "sqlite, log level warn".
    #[arg(long, default_value = "run")]
    label: String,
    /// The server's database, which decides the invoice read target (60 % of the ceiling on
    /// SQLite, 45 % on PostgreSQL).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// Concurrent connections (one request in flight on each).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// Measured seconds per case.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop a case after this many requests instead (still bounded by --duration).
    #[arg(long)]
    requests: Option<u64>,
    /// Unmeasured seconds of the same load before each case.
    #[arg(long, default_value_t = 1.0)]
    warm_up: f64,
    /// Leads submitted before measuring, whose invoices the invoice case reads.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    warm_up_leads: u64,
    /// The cases to measure, in order.
    #[arg(long, value_delimiter = ',', default_value = "leads,invoices,live")]
    cases: Vec<Case>,
    /// Threads of the load generator's runtime (it shares the machine with the server).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
    /// Per-request timeout in seconds (a timeout counts as an error).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Seconds to wait for GET /health/ready/ to answer 200.
    #[arg(long, default_value_t = 60.0)]
    ready_timeout: f64,
    /// The server's process id: its VmRSS after each case and VmHWM at the end are reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// criterion's estimates.json of the persistence baseline, for the lead/baseline ratio.
    #[arg(long)]
    baseline_estimates: Option<PathBuf>,
    /// criterion's estimates.json of the persistence lead unit of work, shown for reference.
    #[arg(long)]
    lead_uow_estimates: Option<PathBuf>,
    /// Append this run's row of the summary table to FILE.
    #[arg(long, value_name = "FILE")]
    summary_row: Option<PathBuf>,
    /// Append this run's figures to FILE as one JSON line (`label`, `peak_rss_bytes` and per
    /// case `rps`, `p50_ms`, `p99_ms`, `errors`), for scripts that compare runs.
    #[arg(long, value_name = "FILE")]
    json_row: Option<PathBuf>,
    /// The first n of the lead e-mail addresses `user{n}@example.com`.
    #[arg(long, default_value_t = 1)]
    first_user: u64,
    /// Send each connection from its own loopback address (127.0.0.2, 127.0.0.3, …), so the
    /// server sees as many clients as connections.
    #[arg(long)]
    distinct_sources: bool,
    /// Exit with status 1 when a target is missed.
    #[arg(long)]
    strict: bool,
}

fn append_line(path: &std::path::Path, line: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    writeln!(file, "{line}").with_context(|| format!("writing {}", path.display()))
}

fn seconds(v: f64, name: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| *d <= Duration::from_secs(86_400))
        .with_context(|| format!("--{name} must be between 0 and 86400 seconds, not {v}"))
}

/// Parses the arguments and runs; exit status 0 on success, 1 on failure (or a missed target
/// with `--strict`), 2 on bad usage.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The load generator's runtime: one thread, or `threads` workers.
fn runtime(threads: u16) -> anyhow::Result<tokio::runtime::Runtime> {
    if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(usize::from(threads))
            .enable_all()
            .build()
    }
    .context("starting the runtime")
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::FreePort => {
            let port = std::net::TcpListener::bind(("127.0.0.1", 0))
                .and_then(|l| l.local_addr())
                .context("finding a free port")?
                .port();
            println!("{port}");
            Ok(ExitCode::SUCCESS)
        }
        Command::SummaryHeader => {
            println!("{SUMMARY_HEADER}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Pages(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?
            .block_on(read_pages(args)),
        Command::Run(args) => {
            let runtime = runtime(args.threads)?;
            runtime.block_on(run(*args))
        }
        Command::Soak(args) => {
            let settings = args.settings()?;
            let runtime = runtime(args.threads)?;
            Ok(if runtime.block_on(crate::soak::run(settings))? {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

async fn read_pages(args: PagesArgs) -> anyhow::Result<ExitCode> {
    let origin = loopback_origin(&args.url)?;
    let timeout = seconds(args.timeout, "timeout")?;
    let cookie = std::fs::read_to_string(&args.cookie_file)
        .with_context(|| format!("reading {}", args.cookie_file.display()))?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")?;
    let target = Duration::from_millis(args.target_ms);
    let mut all_met = true;
    println!("{}", pages::TABLE_HEADER);
    for page in &args.pages {
        let summary = pages::measure(
            &client,
            &origin,
            cookie.trim(),
            page,
            args.warm_up,
            args.requests,
        )
        .await?;
        if !summary.error_kinds.is_empty() {
            eprintln!("loadgen: {}: errors {:?}", page.label, summary.error_kinds);
        }
        all_met &= pages::met(&summary, target);
        println!("{}", pages::row(page, &summary, target));
    }
    Ok(if args.strict && !all_met {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let origins = args
        .url
        .iter()
        .map(|u| loopback_origin(u))
        .collect::<Result<Vec<_>, _>>()?;
    let duration = seconds(args.duration, "duration")?;
    let warm_up = seconds(args.warm_up, "warm-up")?;
    let timeout = seconds(args.timeout, "timeout")?;
    let ready_timeout = seconds(args.ready_timeout, "ready-timeout")?;
    // Read the baseline first: a missing file should fail before minutes of load.
    let baseline = args
        .baseline_estimates
        .as_deref()
        .map(criterion::rate_from_file)
        .transpose()?;
    let lead_uow = args
        .lead_uow_estimates
        .as_deref()
        .map(criterion::rate_from_file)
        .transpose()?;

    let make = if args.distinct_sources {
        LoadGen::from_distinct_sources
    } else {
        LoadGen::new
    };
    let mut lg = make(
        origins,
        usize::from(args.connections),
        timeout,
        args.first_user,
    )?;
    let pid = args.server_pid;
    lg.wait_ready(ready_timeout, || {
        pid.is_none_or(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
    })
    .await?;
    if args.cases.contains(&Case::Invoices) {
        let n = lg.warm_up_invoices(args.warm_up_leads).await?;
        eprintln!("loadgen: {}: warm-up made {n} invoices", args.label);
    }

    let limit = Limit {
        duration,
        requests: args.requests,
    };
    let mut cases = Vec::new();
    for case in &args.cases {
        let summary = lg.measure(*case, warm_up, limit).await;
        let rss = pid.and_then(|p| procfs::memory(p).ok()).map(|m| m.rss);
        eprintln!(
            "loadgen: {}: {}: {:.0} req/s, p50 {} ms, p99 {} ms, {} errors",
            args.label,
            case.label(),
            summary.requests_per_sec,
            fmt_ms(summary.p50),
            fmt_ms(summary.p99),
            summary.errors
        );
        cases.push((*case, summary, rss));
    }
    let peak_rss = match pid {
        Some(p) => Some(
            procfs::memory(p)
                .with_context(|| format!("reading the server's memory (pid {p})"))?
                .peak_rss,
        ),
        None => None,
    };

    let report = RunReport {
        label: format!(
            "{} ({} connections, {} s per case, {} loadgen thread(s))",
            args.label, args.connections, args.duration, args.threads
        ),
        cases,
        baseline_tx_per_sec: baseline,
        lead_uow_tx_per_sec: lead_uow,
        peak_rss,
        targets: Targets::for_backend(args.backend),
    };
    println!("{}", report.markdown());
    if let Some(path) = &args.json_row {
        append_line(path, &report.json_row(&args.label).to_string())?;
    }
    if let Some(path) = &args.summary_row {
        let row = RunReport {
            label: args.label.clone(),
            ..report.clone()
        }
        .summary_row();
        append_line(path, &row)?;
    }
    Ok(if args.strict && !report.all_met() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_bounded() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["loadgen", "run", "--url", "http://127.0.0.1:1"]).is_ok());
        assert!(
            Cli::try_parse_from([
                "loadgen",
                "run",
                "--url",
                "http://127.0.0.1:1",
                "--url",
                "http://127.0.0.1:2",
                "--json-row",
                "rows.jsonl"
            ])
            .is_ok()
        );
        assert!(Cli::try_parse_from(["loadgen", "run"]).is_err());
        for bad in [
            vec!["loadgen", "run"],
            vec!["loadgen", "run", "--url", "x", "--connections", "0"],
            vec!["loadgen", "run", "--url", "x", "--connections", "100000"],
            vec!["loadgen", "run", "--url", "x", "--cases", "leads,admin"],
            vec!["loadgen", "run", "--url", "x", "--warm-up-leads", "0"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "accepted {bad:?}");
        }
        assert!(seconds(10.0, "d").is_ok());
        assert!(seconds(-1.0, "d").is_err());
        assert!(seconds(f64::NAN, "d").is_err());
        assert!(seconds(1e9, "d").is_err());
    }
}
