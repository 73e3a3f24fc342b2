//! Why a command did not succeed, and the exit status and stderr line each reason gives.

use std::process::ExitCode;

use crate::error_text::error_text;

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

impl Failure {
    /// Prints the failure on stderr (nothing for [`Failure::Reported`]) and gives its exit
    /// status: 2 for bad usage, 1 otherwise.
    pub(crate) fn exit(self) -> ExitCode {
        match self {
            Failure::Usage(message) => {
                errln!("ops: {message}");
                ExitCode::from(EXIT_USAGE)
            }
            Failure::Failed(e) => {
                errln!("ops: error: {}", error_text(&e));
                ExitCode::FAILURE
            }
            Failure::Reported => ExitCode::FAILURE,
        }
    }
}
