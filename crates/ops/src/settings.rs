//! The configuration sections this crate owns: `storage`, `backup` (with `backup.remote`) and
//! `health`.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

/// A setting that is out of range; names its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidSetting {
    key: &'static str,
    message: String,
}

impl InvalidSetting {
    /// The dotted key, e.g. `backup.keep`.
    #[must_use]
    pub fn key(&self) -> &'static str {
        self.key
    }
}

/// The `storage` section: where uploaded media live and where static assets come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Must be writable; the health probe writes and deletes a file there.
    pub media_dir: PathBuf,
    /// A directory of static assets to serve instead of the built-in ones. `None` (the default)
    /// serves the assets compiled into the binary.
    pub static_dir: Option<PathBuf>,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            media_dir: PathBuf::from("media"),
            static_dir: None,
        }
    }
}

/// The `backup` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupSettings {
    /// Where `ops backup` writes.
    pub dir: PathBuf,
    /// How many of its own backups it keeps.
    pub keep: usize,
    /// Where `ops backup` also uploads each backup (off by default).
    pub remote: RemoteSettings,
}

impl Default for BackupSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("backups"),
            keep: 30,
            remote: RemoteSettings::default(),
        }
    }
}

impl BackupSettings {
    /// `keep` must be at least 1.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.keep == 0 {
            return Err(InvalidSetting {
                key: "backup.keep",
                message: "must be at least 1".into(),
            });
        }
        if self.dir.as_os_str().is_empty() {
            return Err(InvalidSetting {
                key: "backup.dir",
                message: "must not be empty".into(),
            });
        }
        self.remote.validate()
    }
}

/// The `backup.remote` section: an S3-compatible bucket that receives a copy of every backup.
/// Off while `url` is unset (or empty). `Debug` shows the secret key as `[REDACTED]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteSettings {
    /// `s3://BUCKET/PREFIX` (the prefix may be empty or have several `/`-separated parts).
    pub url: Option<String>,
    /// The service's base URL, e.g. `https://s3.eu-central-1.amazonaws.com` or a MinIO /
    /// Ceph / Backblaze endpoint; unset means AWS S3 of `region`. `http://` only for a service
    /// on a private network.
    pub endpoint: Option<String>,
    /// The bucket's region (`us-east-1` when unset; most other services ignore it).
    pub region: Option<String>,
    /// The access key's id.
    pub access_key_id: Option<String>,
    /// The access key's secret.
    pub secret_access_key: Option<SecretString>,
    /// How many of its own backups (of each kind) the remote keeps.
    pub keep: usize,
}

impl Default for RemoteSettings {
    fn default() -> Self {
        Self {
            url: None,
            endpoint: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            keep: 90,
        }
    }
}

/// A parsed `backup.remote.url`: the bucket and the prefix (no leading or trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLocation {
    /// The bucket's name.
    pub bucket: String,
    /// The key prefix, `""` or `a/b` (keys are `PREFIX/NAME`).
    pub prefix: String,
}

impl std::fmt::Display for RemoteLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

impl RemoteSettings {
    /// The bucket and prefix, or `None` when no remote is configured.
    ///
    /// ```
    /// let mut remote = wetech_ops::RemoteSettings::default();
    /// assert_eq!(remote.location().unwrap(), None);
    /// remote.url = Some("s3://backups/wetech/prod/".into());
    /// let at = remote.location().unwrap().unwrap();
    /// assert_eq!((at.bucket.as_str(), at.prefix.as_str()), ("backups", "wetech/prod"));
    /// remote.url = Some("https://backups/wetech".into());
    /// assert_eq!(remote.location().unwrap_err().key(), "backup.remote.url");
    /// ```
    ///
    /// # Errors
    /// The URL is not `s3://BUCKET[/PREFIX]`.
    pub fn location(&self) -> Result<Option<RemoteLocation>, InvalidSetting> {
        let Some(url) = self.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let invalid = |message: &str| InvalidSetting {
            key: "backup.remote.url",
            message: format!("{message} (expected s3://BUCKET/PREFIX)"),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(invalid(
                "the bucket must be 3 to 63 lower-case letters, digits, '-' or '.'",
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        let parts_ok = prefix.is_empty()
            || prefix.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part.chars().all(|c| !c.is_control() && c != '\\')
            });
        if !parts_ok {
            return Err(invalid(
                "the prefix must be '/'-separated names without empty, '.' or '..' parts",
            ));
        }
        Ok(Some(RemoteLocation {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }))
    }

    /// When a URL is set: it parses, the endpoint is an http(s) URL, both parts of the key are
    /// there, and `keep` is at least 1.
    ///
    /// # Errors
    /// An [`InvalidSetting`] naming the `backup.remote.…` key.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.keep == 0 {
            return Err(InvalidSetting {
                key: "backup.remote.keep",
                message: "must be at least 1".into(),
            });
        }
        if self.location()?.is_none() {
            return Ok(());
        }
        if let Some(endpoint) = self.endpoint.as_deref().filter(|e| !e.trim().is_empty()) {
            let ok = url::Url::parse(endpoint.trim()).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.username().is_empty()
                    && u.password().is_none()
                    && u.query().is_none()
            });
            if !ok {
                return Err(InvalidSetting {
                    key: "backup.remote.endpoint",
                    message: "must be an http:// or https:// URL without user, password or query"
                        .into(),
                });
            }
        }
        if self
            .access_key_id
            .as_deref()
            .is_none_or(|k| k.trim().is_empty())
        {
            return Err(InvalidSetting {
                key: "backup.remote.access_key_id",
                message: "is required when backup.remote.url is set".into(),
            });
        }
        if self
            .secret_access_key
            .as_ref()
            .is_none_or(|k| secrecy::ExposeSecret::expose_secret(k).is_empty())
        {
            return Err(InvalidSetting {
                key: "backup.remote.secret_access_key",
                message: "is required when backup.remote.url is set".into(),
            });
        }
        Ok(())
    }
}

/// The `health` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthSettings {
    /// Below this free-disk percentage the disk check warns; below half of it, it fails.
    pub min_free_disk_percent: f64,
    /// How long one check may take before it counts as failed.
    pub check_timeout_ms: u64,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            min_free_disk_percent: 10.0,
            check_timeout_ms: 800,
        }
    }
}

impl HealthSettings {
    /// The percentage must lie in 0–100 and the timeout in 1–10 000 ms.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if !(0.0..=100.0).contains(&self.min_free_disk_percent) {
            return Err(InvalidSetting {
                key: "health.min_free_disk_percent",
                message: "must be between 0 and 100".into(),
            });
        }
        if !(1..=10_000).contains(&self.check_timeout_ms) {
            return Err(InvalidSetting {
                key: "health.check_timeout_ms",
                message: "must be between 1 and 10000".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> RemoteSettings {
        RemoteSettings {
            url: Some(url.to_owned()),
            endpoint: Some("http://127.0.0.1:9000".to_owned()),
            access_key_id: Some("AKIDEXAMPLE".to_owned()),
            secret_access_key: Some(SecretString::from("very-secret-key-value")),
            ..RemoteSettings::default()
        }
    }

    #[test]
    fn remote_urls_are_parsed_strictly() {
        for (url, bucket, prefix) in [
            ("s3://backups", "backups", ""),
            ("s3://backups/", "backups", ""),
            ("s3://my.bucket-1/wetech", "my.bucket-1", "wetech"),
            ("s3://backups/site/prod/", "backups", "site/prod"),
        ] {
            let at = remote(url).location().unwrap().unwrap();
            assert_eq!(
                (at.bucket.as_str(), at.prefix.as_str()),
                (bucket, prefix),
                "{url}"
            );
            assert!(remote(url).validate().is_ok(), "{url}");
        }
        assert_eq!(
            remote("s3://backups/site/prod")
                .location()
                .unwrap()
                .unwrap()
                .to_string(),
            "s3://backups/site/prod"
        );
        for bad in [
            "backups/wetech",
            "https://backups/wetech",
            "s3://",
            "s3://ab",
            "s3://Backups/x",
            "s3://back_ups/x",
            "s3://backups//x",
            "s3://backups/a/../b",
            "s3://backups/./b",
        ] {
            let e = remote(bad).validate().unwrap_err();
            assert_eq!(e.key(), "backup.remote.url", "{bad}");
        }
        // Unset or empty: no remote, nothing else required.
        for url in [None, Some(String::new()), Some("  ".to_owned())] {
            let off = RemoteSettings {
                url,
                ..RemoteSettings::default()
            };
            assert_eq!(off.location().unwrap(), None);
            assert!(off.validate().is_ok());
        }
    }

    #[test]
    fn a_remote_needs_its_key_a_usable_endpoint_and_keep() {
        type Change = fn(&mut RemoteSettings);
        let cases: [(Change, &str); 6] = [
            (|r| r.access_key_id = None, "backup.remote.access_key_id"),
            (
                |r| r.access_key_id = Some(" ".into()),
                "backup.remote.access_key_id",
            ),
            (
                |r| r.secret_access_key = None,
                "backup.remote.secret_access_key",
            ),
            (
                |r| r.endpoint = Some("ftp://host".into()),
                "backup.remote.endpoint",
            ),
            (
                |r| r.endpoint = Some("https://user:pw@host".into()),
                "backup.remote.endpoint",
            ),
            (|r| r.keep = 0, "backup.remote.keep"),
        ];
        for (change, key) in cases {
            let mut r = remote("s3://backups/x");
            change(&mut r);
            assert_eq!(r.validate().unwrap_err().key(), key);
        }
        let mut aws = remote("s3://backups/x");
        aws.endpoint = None;
        assert!(aws.validate().is_ok(), "no endpoint means AWS S3");
        assert_eq!(RemoteSettings::default().keep, 90);
        let backup = BackupSettings {
            remote: remote("s3://x"),
            ..BackupSettings::default()
        };
        assert_eq!(backup.validate().unwrap_err().key(), "backup.remote.url");
    }

    #[test]
    fn the_secret_key_never_shows_in_debug() {
        let backup = BackupSettings {
            remote: remote("s3://backups/x"),
            ..BackupSettings::default()
        };
        let shown = format!("{backup:?}");
        assert!(!shown.contains("very-secret-key-value"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }
}
