//! What a command that needs the configuration runs with: the settings and the log writers.

use wetech_runtime::Settings;

use crate::cli::Cli;
use crate::error_text::error_text;
use crate::failure::{Failure, Outcome};

/// Loaded settings and, for commands that change things, the log writers.
pub(crate) struct Context {
    pub(crate) settings: Settings,
    _logs: Option<wetech_observability::LogGuard>,
}

impl Context {
    /// Writes a failed command to the log files (`errors.log` for alerting) while they are still
    /// open, then hands the outcome on.
    pub(crate) fn logged(&self, command: &str, outcome: Outcome) -> Outcome {
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
        Ok(Context {
            settings,
            _logs: logs,
        })
    }
}
