//! The `mail` configuration section (docs/configuration.md, "mail"); the `company` section is
//! `wetech_receipt::CompanySettings`, shared with the receipts.

use std::path::PathBuf;

use lettre::message::Mailbox;
use secrecy::SecretString;
use serde::Deserialize;

/// A setting that cannot be used; names its dotted key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidMailSetting {
    key: &'static str,
    message: String,
}

impl InvalidMailSetting {
    fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }

    /// The dotted key, e.g. `mail.smtp.tls`.
    #[must_use]
    pub fn key(&self) -> &'static str {
        self.key
    }
}

/// How messages leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// Through an SMTP server (`mail.smtp.*`).
    Smtp,
    /// One `.eml` file per message in `mail.dir` (the development default).
    File,
    /// Not at all: messages stay `waiting` in the outbox.
    Off,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a loopback host (a local relay).
    None,
}

/// The `mail.smtp` section.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    /// The server's name (also checked against its certificate); default `localhost` (a relay
    /// on this machine).
    pub host: String,
    /// Default by `tls`: 587 (`starttls`), 465 (`tls`), 25 (`none`).
    pub port: Option<u16>,
    /// Sign-in name, when the server wants one.
    pub username: Option<String>,
    /// Sign-in password (secret).
    pub password: Option<SecretString>,
    /// `starttls`, `tls` or `none`.
    pub tls: TlsMode,
    /// A PEM file of extra CA certificates to trust (a private relay's own CA).
    pub ca_file: Option<PathBuf>,
    /// Connecting and each command's answer, in seconds.
    pub timeout_secs: u64,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: None,
            username: None,
            password: None,
            tls: TlsMode::Starttls,
            ca_file: None,
            timeout_secs: 30,
        }
    }
}

/// A message's whole SMTP delivery (connect, TLS, sign-in, envelope, data) may take this many
/// times `mail.smtp.timeout_secs`, after which the sender gives that try up.
pub const SEND_TIMEOUT_FACTOR: u64 = 3;

impl SmtpSettings {
    /// How long one message's whole delivery may take.
    #[must_use]
    pub fn send_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs.saturating_mul(SEND_TIMEOUT_FACTOR))
    }

    /// The port to connect to.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        })
    }

    /// Whether `host` is this machine (`localhost`, `127.0.0.0/8`, `::1`).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// The `mail` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp`, `file` or `off`; unset: `file` in development, `smtp` in production.
    pub transport: Option<TransportKind>,
    /// The sender, `Name <address>` or an address; also the domain of every `Message-ID`.
    pub from: String,
    /// The staff's addresses, comma-separated.
    pub staff_to: String,
    /// Where the `file` transport writes.
    pub dir: PathBuf,
    /// The SMTP server.
    pub smtp: SmtpSettings,
    /// The first retry's delay; each further one doubles it (with jitter).
    pub retry_base_secs: u64,
    /// The longest delay between two tries.
    pub retry_max_secs: u64,
    /// How long after it was queued a message is given up (`failed`).
    pub give_up_after_secs: u64,
    /// Tries of a message that the server refused for good (5xx) before it is `failed`.
    pub permanent_attempts: u32,
    /// Messages a sender claims at once.
    pub batch_size: u32,
    /// How often an idle sender looks for due messages, in milliseconds.
    pub poll_ms: u64,
    /// How long a claim holds; longer than a batch can take, so that only a sender that
    /// crashed loses its messages to another.
    pub lease_secs: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: None,
            from: "wetech <no-reply@wetech.localhost>".into(),
            staff_to: "staff@wetech.localhost".into(),
            dir: PathBuf::from("mail"),
            smtp: SmtpSettings::default(),
            retry_base_secs: 60,
            retry_max_secs: 3600,
            give_up_after_secs: 24 * 3600,
            permanent_attempts: 3,
            batch_size: 5,
            poll_ms: 1000,
            lease_secs: 600,
        }
    }
}

impl MailSettings {
    /// The transport after the environment's default.
    #[must_use]
    pub fn transport(&self, production: bool) -> TransportKind {
        self.transport.unwrap_or(if production {
            TransportKind::Smtp
        } else {
            TransportKind::File
        })
    }

    /// The parsed sender.
    ///
    /// # Errors
    /// `mail.from` is not a mailbox.
    pub fn from_mailbox(&self) -> Result<Mailbox, InvalidMailSetting> {
        self.from
            .parse()
            .map_err(|_| InvalidMailSetting::new("mail.from", "is not an e-mail address"))
    }

    /// The parsed staff addresses.
    ///
    /// # Errors
    /// An entry of `mail.staff_to` is not a mailbox, or there is none.
    pub fn staff_mailboxes(&self) -> Result<Vec<Mailbox>, InvalidMailSetting> {
        let all = self
            .staff_to
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<Mailbox>().map_err(|_| {
                    InvalidMailSetting::new(
                        "mail.staff_to",
                        "holds an entry that is not an e-mail address",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if all.is_empty() {
            return Err(InvalidMailSetting::new(
                "mail.staff_to",
                "must name at least one address",
            ));
        }
        Ok(all)
    }

    /// Checks every key; in `production`, refuses the `file` transport and SMTP without TLS to
    /// a host that is not this machine.
    ///
    /// # Errors
    /// The first unusable key.
    pub fn validate(&self, production: bool) -> Result<(), InvalidMailSetting> {
        self.from_mailbox()?;
        self.staff_mailboxes()?;
        let positive = [
            ("mail.retry_base_secs", self.retry_base_secs),
            ("mail.retry_max_secs", self.retry_max_secs),
            ("mail.give_up_after_secs", self.give_up_after_secs),
            ("mail.batch_size", u64::from(self.batch_size)),
            ("mail.poll_ms", self.poll_ms),
            ("mail.lease_secs", self.lease_secs),
            (
                "mail.permanent_attempts",
                u64::from(self.permanent_attempts),
            ),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(InvalidMailSetting::new(key, "must be at least 1"));
        }
        let transport = self.transport(production);
        match transport {
            TransportKind::File if self.dir.as_os_str().is_empty() => {
                return Err(InvalidMailSetting::new("mail.dir", "must not be empty"));
            }
            TransportKind::File if production => {
                return Err(InvalidMailSetting::new(
                    "mail.transport",
                    "`file` is refused in production: set `smtp` (or `off`)",
                ));
            }
            TransportKind::Smtp => self.validate_smtp(production)?,
            TransportKind::File | TransportKind::Off => {}
        }
        Ok(())
    }

    fn validate_smtp(&self, production: bool) -> Result<(), InvalidMailSetting> {
        let smtp = &self.smtp;
        if smtp.host.trim().is_empty() {
            return Err(InvalidMailSetting::new(
                "mail.smtp.host",
                "must be set when `mail.transport` is `smtp`",
            ));
        }
        if smtp.timeout_secs == 0 {
            return Err(InvalidMailSetting::new(
                "mail.smtp.timeout_secs",
                "must be at least 1",
            ));
        }
        if smtp.username.is_some() != smtp.password.is_some() {
            return Err(InvalidMailSetting::new(
                "mail.smtp.password",
                "`mail.smtp.username` and `mail.smtp.password` go together",
            ));
        }
        if smtp.tls == TlsMode::None && !smtp.is_loopback() {
            return Err(InvalidMailSetting::new(
                "mail.smtp.tls",
                "`none` is allowed only to a loopback host; use `starttls` or `tls`",
            ));
        }
        if production && smtp.tls == TlsMode::None && smtp.username.is_some() {
            return Err(InvalidMailSetting::new(
                "mail.smtp.tls",
                "a password is never sent unencrypted in production; use `starttls` or `tls`",
            ));
        }
        // A claim must outlast a whole batch sent at the slowest: the sender bounds each
        // message's whole delivery by `SEND_TIMEOUT_FACTOR` × the SMTP timeout.
        let slowest_batch = u64::from(self.batch_size) * smtp.send_timeout().as_secs();
        if self.lease_secs <= slowest_batch {
            return Err(InvalidMailSetting::new(
                "mail.lease_secs",
                format!(
                    "must be more than {slowest_batch} (mail.batch_size × mail.smtp.timeout_secs × {SEND_TIMEOUT_FACTOR}), \
                     or a slow batch could be taken over and sent twice"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(host: &str, tls: TlsMode) -> MailSettings {
        MailSettings {
            transport: Some(TransportKind::Smtp),
            smtp: SmtpSettings {
                host: host.into(),
                tls,
                ..SmtpSettings::default()
            },
            lease_secs: 100_000,
            ..MailSettings::default()
        }
    }

    #[test]
    fn production_refuses_file_and_plain_smtp_to_another_host() {
        let file = MailSettings {
            transport: Some(TransportKind::File),
            ..MailSettings::default()
        };
        assert!(file.validate(false).is_ok());
        assert_eq!(file.validate(true).unwrap_err().key(), "mail.transport");
        // The production default is SMTP to a relay on this machine, over STARTTLS.
        assert_eq!(MailSettings::default().transport(true), TransportKind::Smtp);
        assert!(MailSettings::default().validate(true).is_ok());
        let no_host = smtp(" ", TlsMode::Starttls);
        assert_eq!(no_host.validate(true).unwrap_err().key(), "mail.smtp.host");
        for production in [false, true] {
            let plain = smtp("mail.example.com", TlsMode::None);
            assert_eq!(
                plain.validate(production).unwrap_err().key(),
                "mail.smtp.tls"
            );
            assert!(
                smtp("127.0.0.1", TlsMode::None)
                    .validate(production)
                    .is_ok()
            );
            assert!(
                smtp("localhost", TlsMode::None)
                    .validate(production)
                    .is_ok()
            );
            assert!(smtp("[::1]", TlsMode::None).validate(production).is_ok());
            assert!(
                smtp("mail.example.com", TlsMode::Starttls)
                    .validate(production)
                    .is_ok()
            );
            assert!(
                smtp("mail.example.com", TlsMode::Tls)
                    .validate(production)
                    .is_ok()
            );
        }
    }

    #[test]
    fn addresses_and_leases_are_checked() {
        let bad_from = MailSettings {
            from: "not an address".into(),
            ..MailSettings::default()
        };
        assert_eq!(bad_from.validate(false).unwrap_err().key(), "mail.from");
        let no_staff = MailSettings {
            staff_to: " , ".into(),
            ..MailSettings::default()
        };
        assert_eq!(no_staff.validate(false).unwrap_err().key(), "mail.staff_to");
        let two = MailSettings {
            staff_to: "a@example.com, Office <b@example.com>".into(),
            ..MailSettings::default()
        };
        assert_eq!(two.staff_mailboxes().unwrap().len(), 2);
        let short_lease = MailSettings {
            lease_secs: 60,
            ..smtp("mail.example.com", TlsMode::Starttls)
        };
        assert_eq!(
            short_lease.validate(false).unwrap_err().key(),
            "mail.lease_secs"
        );
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let s = SmtpSettings {
            password: Some(SecretString::from("hunter2-very-secret")),
            ..SmtpSettings::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
