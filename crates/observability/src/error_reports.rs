//! Error reports to a Sentry-protocol endpoint (`observability.sentry_dsn`).
//!
//! [`ErrorReports`] owns a Sentry client of its own (not the process-wide one, so several
//! servers with different endpoints can live in one test process); [`ErrorReports::make_global`]
//! also binds it to the process-wide hub, so a panic outside any request (a background task, an
//! `ops` command) is reported too. Every event goes through [`scrub_event`] before it is sent.

use std::borrow::Cow;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use sentry::protocol::{Event, Level, Value};
use sentry::types::{Dsn, ParseDsnError};
use sentry::{Client, ClientOptions, Hub, Scope};

use crate::scrub::scrub_text;
use crate::settings::ObservabilitySettings;

/// How long [`ErrorReports::flush`] waits for queued reports to be sent.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(3);

pub(crate) fn parse_dsn(dsn: &SecretString) -> Result<Dsn, ParseDsnError> {
    Dsn::from_str(dsn.expose_secret().trim())
}

/// `observability.sentry_dsn` is not a DSN (checked by the settings too). Shows no part of it.
#[derive(Debug, thiserror::Error)]
#[error("observability.sentry_dsn: not a valid DSN")]
pub struct ErrorReportsError(#[source] ParseDsnError);

/// Where error reports go, or nowhere (no DSN configured). Cheap to clone.
#[derive(Clone, Default)]
pub struct ErrorReports {
    hub: Option<Arc<Hub>>,
}

impl std::fmt::Debug for ErrorReports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorReports")
            .field("on", &self.is_on())
            .finish()
    }
}

impl ErrorReports {
    /// Reports off: every call is a no-op.
    #[must_use]
    pub fn off() -> Self {
        Self { hub: None }
    }

    /// A client for `settings.sentry_dsn` (off when unset) that tags every report with
    /// `environment` and `release` (such as `wetech-web@0.1.0`), sends no personal data by
    /// itself, and scrubs each event ([`scrub_event`]) before sending it. Panics are reported
    /// (with their backtrace) on any thread where this client's hub is current: inside a request
    /// wrapped by [`ErrorReports::middleware`], and everywhere after [`ErrorReports::make_global`].
    ///
    /// # Errors
    /// [`ErrorReportsError`] when the DSN does not parse.
    pub fn new(
        settings: &ObservabilitySettings,
        environment: &str,
        release: &str,
    ) -> Result<Self, ErrorReportsError> {
        let Some(dsn) = &settings.sentry_dsn else {
            return Ok(Self::off());
        };
        let dsn = parse_dsn(dsn).map_err(ErrorReportsError)?;
        let mut options = ClientOptions::default();
        options.dsn = Some(dsn);
        options.environment = Some(Cow::Owned(environment.to_owned()));
        options.release = Some(Cow::Owned(release.to_owned()));
        options.send_default_pii = false;
        options.before_send = Some(Arc::new(scrub_event));
        // Breadcrumbs are not collected (no logging integration), so none can leak.
        options.max_breadcrumbs = 0;
        // No request body is ever attached (sentry-actix would read it with PII on).
        options.max_request_body_size = sentry::MaxRequestBodySize::None;
        let options = sentry::apply_defaults(options);
        let client = Arc::new(Client::from(options));
        Ok(Self {
            hub: Some(Arc::new(Hub::new(Some(client), Arc::new(Scope::default())))),
        })
    }

    /// Whether a DSN is configured.
    #[must_use]
    pub fn is_on(&self) -> bool {
        self.hub.is_some()
    }

    /// Binds this client to the process-wide hub as well, so panics anywhere in the process
    /// are reported. For the binaries' `main`; tests leave it alone.
    pub fn make_global(&self) {
        if let Some(client) = self.hub.as_ref().and_then(|h| h.client()) {
            Hub::main().bind_client(Some(client));
        }
    }

    /// The hub of this client (`None` when reports are off); each request gets its own hub made
    /// from it (see [`ErrorReports::middleware`]).
    pub(crate) fn hub(&self) -> Option<Arc<Hub>> {
        self.hub.clone()
    }

    /// Reports a failed `ops` command: its name as the tag `command` and its error text
    /// (scrubbed like every event), then waits up to [`FLUSH_TIMEOUT`] for it to be sent, since
    /// the process is about to exit.
    pub fn report_failed_command(&self, command: &str, error: &str) {
        let Some(hub) = &self.hub else {
            return;
        };
        let mut event = Event {
            message: Some(format!("ops {command} failed: {error}")),
            level: Level::Error,
            logger: Some("wetech-ops".to_owned()),
            ..Event::default()
        };
        event.tags.insert("command".to_owned(), command.to_owned());
        hub.capture_event(event);
        self.flush();
    }

    /// Waits up to [`FLUSH_TIMEOUT`] for queued reports to be sent.
    pub fn flush(&self) {
        if let Some(client) = self.hub.as_ref().and_then(|h| h.client()) {
            client.flush(Some(FLUSH_TIMEOUT));
        }
    }
}

/// The `before_send` of every report: drops what CONTRACT §14 forbids and scrubs the rest.
///
/// - the request interface (body, cookies, headers, query string, and the URL, whose path may
///   hold the AzamPay callback token) and the user interface (address, e-mail) are removed;
/// - breadcrumbs and the server name's neighbours are left out; the `route` tag holds the
///   matched pattern only;
/// - the message, log entry, exception values, tags, extra data and the transaction name go
///   through [`scrub_text`]: e-mail addresses and phone numbers masked, secrets redacted.
#[must_use]
pub fn scrub_event(mut event: Event<'static>) -> Option<Event<'static>> {
    event.request = None;
    event.user = None;
    event.breadcrumbs = Default::default();
    if let Some(message) = &mut event.message {
        *message = scrub_text(message);
    }
    if let Some(entry) = &mut event.logentry {
        entry.message = scrub_text(&entry.message);
        for param in &mut entry.params {
            scrub_value(param);
        }
    }
    for exception in &mut event.exception.values {
        if let Some(value) = &mut exception.value {
            *value = scrub_text(value);
        }
    }
    for value in event.tags.values_mut() {
        *value = scrub_text(value);
    }
    for value in event.extra.values_mut() {
        scrub_value(value);
    }
    if let Some(transaction) = &mut event.transaction {
        *transaction = scrub_text(transaction);
    }
    Some(event)
}

fn scrub_value(value: &mut Value) {
    match value {
        Value::String(s) => *s = scrub_text(s),
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        Value::Object(map) => map.values_mut().for_each(scrub_value),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::protocol::{Exception, Request};

    #[test]
    fn off_without_a_dsn() {
        let reports =
            ErrorReports::new(&ObservabilitySettings::default(), "development", "x@1").unwrap();
        assert!(!reports.is_on());
        assert!(reports.hub().is_none());
        reports.report_failed_command("backup", "nothing happens");
    }

    #[test]
    fn events_lose_request_user_and_personal_data() {
        let mut event = Event {
            message: Some("lead juma@example.com +255754123456 token=abc".to_owned()),
            request: Some(Request {
                data: Some("{\"email\":\"juma@example.com\"}".to_owned()),
                cookies: Some("session=s".to_owned()),
                ..Request::default()
            }),
            user: Some(sentry::User {
                email: Some("juma@example.com".to_owned()),
                ..sentry::User::default()
            }),
            ..Event::default()
        };
        event.exception.values.push(Exception {
            ty: "panic".to_owned(),
            value: Some("called with 0754123456".to_owned()),
            ..Exception::default()
        });
        event.extra.insert(
            "payload".to_owned(),
            serde_json::json!({"to": ["asha@example.org"]}),
        );
        let scrubbed = scrub_event(event).unwrap();
        assert!(scrubbed.request.is_none() && scrubbed.user.is_none());
        let text = serde_json::to_string(&scrubbed).unwrap();
        for leak in ["juma@", "asha@", "754123", "abc", "session="] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }
}
