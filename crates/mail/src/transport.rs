//! Where a built message goes: an SMTP server (lettre, rustls), a directory of `.eml` files, or
//! nowhere.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use secrecy::ExposeSecret as _;

use crate::settings::{MailSettings, SmtpSettings, TlsMode, TransportKind};

/// The transport could not be set up from the settings.
#[derive(Debug, thiserror::Error)]
pub enum TransportSetupError {
    /// `mail.smtp.ca_file` cannot be read or holds no certificate.
    #[error("cannot use mail.smtp.ca_file {path}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// lettre refused the TLS parameters.
    #[error("cannot set up TLS for mail.smtp.host")]
    Tls(#[source] lettre::transport::smtp::Error),
}

/// How one delivery went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server is down, slow, busy (4xx) or the connection broke.
    #[error("temporary delivery failure: {0}")]
    Temporary(String),
    /// The server refused the message for good (5xx); a retry is unlikely to help.
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

/// One of the three transports.
#[derive(Clone)]
pub enum Transport {
    /// SMTP, with its whole-delivery timeout.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
    /// `.eml` files into this directory.
    File(PathBuf),
    /// Nothing is sent.
    Off,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(..) => f.write_str("Transport::Smtp"),
            Transport::File(dir) => write!(f, "Transport::File({})", dir.display()),
            Transport::Off => f.write_str("Transport::Off"),
        }
    }
}

impl Transport {
    /// The transport the settings name (`production` picks the default transport).
    ///
    /// # Errors
    /// The CA file or the TLS set-up failed.
    pub fn from_settings(
        settings: &MailSettings,
        production: bool,
    ) -> Result<Transport, TransportSetupError> {
        Ok(match settings.transport(production) {
            TransportKind::Smtp => {
                Transport::Smtp(smtp(&settings.smtp)?, settings.smtp.send_timeout())
            }
            TransportKind::File => Transport::File(settings.dir.clone()),
            TransportKind::Off => Transport::Off,
        })
    }

    /// Whether messages leave at all (`off` leaves them waiting).
    #[must_use]
    pub fn is_off(&self) -> bool {
        matches!(self, Transport::Off)
    }

    /// Delivers `message`, whose file name (for the `file` transport) is `name`. Returns the
    /// server's answer (`250 …`), or what was written.
    ///
    /// # Errors
    /// Why it was not delivered, temporary or permanent.
    pub async fn send(&self, message: &Message, name: &str) -> Result<String, SendError> {
        match self {
            Transport::Smtp(smtp, timeout) => {
                match tokio::time::timeout(*timeout, smtp.send(message.clone())).await {
                    Err(_) => Err(SendError::Temporary(format!(
                        "no answer within {} s",
                        timeout.as_secs()
                    ))),
                    Ok(Ok(response)) => Ok(format!(
                        "{} {}",
                        response.code(),
                        response.message().collect::<Vec<_>>().join(" ")
                    )),
                    Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(error_text(&e))),
                    Ok(Err(e)) => Err(SendError::Temporary(error_text(&e))),
                }
            }
            Transport::File(dir) => write_eml(dir, name, &message.formatted())
                .await
                .map(|path| format!("written to {}", path.display()))
                .map_err(|e| {
                    SendError::Temporary(format!("cannot write to {}: {e}", dir.display()))
                }),
            Transport::Off => Err(SendError::Temporary("mail.transport is off".into())),
        }
    }
}

/// The error and its causes on one line (lettre's `Display` names only the outermost).
fn error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Writes `bytes` to `{dir}/{name}.eml` through a temporary name, so a reader never sees half
/// a message (on the blocking pool).
async fn write_eml(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dir = dir.to_path_buf();
    let name = name.to_owned();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.eml"));
        let tmp = dir.join(format!(".{name}.eml.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    })
    .await
    .map_err(std::io::Error::other)?
}

fn smtp(s: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, TransportSetupError> {
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
        .port(s.port())
        .timeout(Some(Duration::from_secs(s.timeout_secs)));
    if s.tls != TlsMode::None {
        let mut params = TlsParameters::builder(s.host.clone());
        if let Some(path) = &s.ca_file {
            let pem = std::fs::read(path).map_err(|e| TransportSetupError::CaFile {
                path: path.clone(),
                source: Box::new(e),
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| TransportSetupError::CaFile {
                path: path.clone(),
                source: Box::new(e),
            })?;
            params = params.add_root_certificate(cert);
        }
        let params = params.build_rustls().map_err(TransportSetupError::Tls)?;
        builder = builder.tls(match s.tls {
            TlsMode::Tls => Tls::Wrapper(params),
            TlsMode::Starttls | TlsMode::None => Tls::Required(params),
        });
    }
    if let (Some(user), Some(password)) = (&s.username, &s.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}
