//! The `ops` command line over `wetech-ops` and `wetech-app` (CONTRACT.md §7).
//!
//! Every command reads the same configuration as `web`, prints a human summary on stdout (or one
//! JSON document with `--json`), writes errors to stderr, and exits 0 on success, 1 on failure,
//! 2 on bad usage. Logs go to the configured `app.log` / `errors.log` only, so stdout stays clean
//! for scripts.

/// `println!` that never panics: a closed stdout (`ops … | head -1`) is ignored, so the exit
/// status stays the one the command's result gives.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_line(&mut ::std::io::stdout().lock(), format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics on a closed stderr.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::write_line(&mut ::std::io::stderr().lock(), format_args!($($arg)*))
    };
}

mod backup;
mod cli;
mod database;
mod health;
mod output;
mod payments;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser as _;
use wetech_runtime::Settings;

use cli::{BackupAction, Cli, Command, PesapalCommand};

/// Exit status of a usage error.
pub const EXIT_USAGE: u8 = 2;

/// Why a command did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad usage: exit 2 with this message.
    Usage(String),
    /// The command failed: exit 1 with this error.
    Failed(anyhow::Error),
    /// The command printed its own result and failed (e.g. an unhealthy probe): exit 1 quietly.
    Reported,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Failed(e.into())
    }
}

pub(crate) type Outcome = Result<(), Failure>;

/// Parses `args` (the first one is the program name), runs the command, and returns the exit
/// status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Help and --version go to stdout with status 0; usage errors to stderr with status 2.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match dispatch(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            errln!("ops: {message}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::Failed(e)) => {
            errln!("ops: error: {}", error_text(&e));
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
    }
}

fn dispatch(cli: &Cli) -> Outcome {
    let json = cli.json;
    match &cli.command {
        // A probe of a running server needs no configuration (a container HEALTHCHECK).
        Command::Healthcheck(args) if args.url.is_some() => {
            health::remote(args.url.as_deref().unwrap_or_default(), json)
        }
        Command::Backup(args) => match &args.action {
            // Checking a file needs no configuration either.
            Some(BackupAction::Verify { file }) => backup::verify(file, json),
            None => {
                let ctx = Context::load(cli, true)?;
                ctx.logged("backup", backup::backup(&ctx.settings, args, json))
            }
        },
        Command::Restore(args) => {
            let ctx = Context::load(cli, true)?;
            ctx.logged("restore", backup::restore(&ctx.settings, args, json))
        }
        Command::Healthcheck(_) => {
            let ctx = Context::load(cli, false)?;
            health::local(&ctx.settings, json)
        }
        Command::Migrate => {
            let ctx = Context::load(cli, true)?;
            ctx.logged("migrate", database::migrate(&ctx.settings, json))
        }
        Command::Reconcile(args) => {
            let ctx = Context::load(cli, true)?;
            ctx.logged(
                "reconcile",
                payments::reconcile(&ctx.settings, args.older_than, json),
            )
        }
        Command::Pesapal(PesapalCommand::RegisterIpn { url }) => {
            let ctx = Context::load(cli, true)?;
            ctx.logged(
                "pesapal register-ipn",
                payments::register_ipn(&ctx.settings, url.as_deref(), json),
            )
        }
        Command::Catalog(command) => {
            // Parse the arguments before touching the database: bad input is a usage error.
            let request = database::CatalogRequest::parse(command)?;
            let ctx = Context::load(cli, true)?;
            ctx.logged("catalog", database::catalog(&ctx.settings, &request, json))
        }
    }
}

/// Loaded settings and, for commands that change things, the log writers.
struct Context {
    settings: Settings,
    _logs: Option<wetech_observability::LogGuard>,
}

impl Context {
    /// Writes a failed command to the log files (`errors.log` for alerting) while they are still
    /// open, then hands the outcome on.
    fn logged(&self, command: &str, outcome: Outcome) -> Outcome {
        match &outcome {
            Err(Failure::Failed(e)) => {
                tracing::error!(command, error = %error_text(e), "ops command failed");
            }
            Err(Failure::Reported) => {
                tracing::error!(command, "ops command failed (see its report)");
            }
            Ok(()) | Err(Failure::Usage(_)) => {}
        }
        outcome
    }

    fn load(cli: &Cli, with_logs: bool) -> Result<Context, Failure> {
        // A missing, unreadable or directory config file (from --config or WETECH_CONFIG) is a
        // failure (exit 1), reported once by the settings loader with the reason.
        let settings =
            Settings::load(cli.config.as_deref()).map_err(|e| Failure::Failed(e.into()))?;
        let logs = if with_logs {
            // Log lines go to the files only (the sink discards them): stdout is for results.
            match wetech_observability::init("wetech-ops", &settings.log, std::io::sink()) {
                Ok(guard) => Some(guard),
                Err(e) => {
                    errln!(
                        "ops: warning: logging to {} is off: {e}",
                        settings.log.dir.display()
                    );
                    None
                }
            }
        } else {
            None
        };
        Ok(Context {
            settings,
            _logs: logs,
        })
    }
}

/// The error and its causes joined by `: `, leaving out a cause whose text the message already
/// contains (many error types repeat their source's text), so nothing is printed twice.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    // Nested wrappers of one kind print the same prefix each ("database error: database
    // error: …"): keep one of each run.
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_is_printed_without_repeats() {
        let e = anyhow::Error::msg("no such table: services")
            .context("database error: database error: database error: no such table: services");
        assert_eq!(error_text(&e), "database error: no such table: services");
        let e = anyhow::Error::msg("connection refused").context("cannot connect to PostgreSQL");
        assert_eq!(
            error_text(&e),
            "cannot connect to PostgreSQL: connection refused"
        );
    }
}
