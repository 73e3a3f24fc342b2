//! Error reports for the web server: the client built from the settings and the answer a
//! panicking request gets (docs/operations.md, "Error reports").

use wetech_observability::ErrorReports;
use wetech_runtime::Settings;

use crate::error::ApiError;
use crate::routes::{methods, pages};

/// The release every report of this binary carries.
pub const RELEASE: &str = concat!("wetech-web@", env!("CARGO_PKG_VERSION"));

/// The report client of `settings` (off without `observability.sentry_dsn`).
///
/// # Errors
/// The DSN does not parse (the settings check it first).
pub fn client(settings: &Settings) -> anyhow::Result<ErrorReports> {
    Ok(ErrorReports::new(
        &settings.observability,
        settings.environment.as_str(),
        RELEASE,
    )?)
}

/// A panic is answered like any internal error: the JSON error (`internal`, 500) on the API and
/// machine paths, the HTML error page elsewhere. No detail of the panic is shown.
pub fn panic_answer(path: &str) -> actix_web::Error {
    let error = ApiError::internal(anyhow::anyhow!("a request handler panicked"));
    if methods::is_machine_path(path) {
        error.into()
    } else {
        pages::PageError::from(error).into()
    }
}
