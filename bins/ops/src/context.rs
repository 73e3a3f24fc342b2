//! What a command that needs the configuration runs with: the settings and the log writers.

use wetech_observability::ErrorReports;
use wetech_runtime::Settings;

use crate::cli::Cli;
use crate::error_text::error_text;
use crate::failure::{Failure, Outcome};

/// The release every error report of this binary carries.
const RELEASE: &str = concat!("wetech-ops@", env!("CARGO_PKG_VERSION"));

/// Loaded settings, the error reports and, for commands that change things, the log writers.
pub(crate) struct Context {
    pub(crate) settings: Settings,
    reports: ErrorReports,
    _logs: Option<wetech_observability::LogGuard>,
}

impl Context {
    /// Writes a failed command to the log files (`errors.log` for alerting) while they are still
    /// open and reports it to `observability.sentry_dsn` (waiting briefly for it to be sent),
    /// then hands the outcome on.
    pub(crate) fn logged(&self, command: &str, outcome: Outcome) -> Outcome {
        let error = match &outcome {
            Err(Failure::Failed(e)) => error_text(e),
            Err(Failure::Reported) => "see its report".to_owned(),
            Ok(()) | Err(Failure::Usage(_)) => return outcome,
        };
        tracing::error!(command, error = %error, "ops command failed");
        self.reports.report_failed_command(command, &error);
        outcome
    }

    pub(crate) fn load(cli: &Cli, with_logs: bool) -> Result<Context, Failure> {
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
        // The settings checked the DSN; should it still fail, reports are off and the command
        // runs (a report is never a reason not to take a backup).
        let reports = ErrorReports::new(
            &settings.observability,
            settings.environment.as_str(),
            RELEASE,
        )
        .unwrap_or_else(|e| {
            errln!("ops: warning: error reports are off: {e}");
            ErrorReports::off()
        });
        // A panic anywhere in the command is reported too.
        reports.make_global();
        Ok(Context {
            settings,
            reports,
            _logs: logs,
        })
    }
}
