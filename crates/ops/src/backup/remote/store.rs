//! The bucket: the S3 client built from `backup.remote`, object locations and the runtime the
//! calls run on.

use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientOptions, RetryConfig};
use secrecy::ExposeSecret as _;

use super::RemoteError;
use crate::settings::{RemoteLocation, RemoteSettings};

/// How long to wait for a connection to the service.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest one request (a part of an upload, a listing page) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// An S3-compatible bucket and key prefix that keeps copies of the backups.
pub struct Remote {
    pub(super) store: AmazonS3,
    pub(super) location: RemoteLocation,
    pub(super) keep: usize,
    pub(super) runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("location", &self.location.to_string())
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// The remote `settings` describe, or `None` when `backup.remote.url` is unset. The settings
    /// are expected to have passed [`RemoteSettings::validate`].
    ///
    /// A failed request is retried three times within a minute (a network blip, a 5xx); a
    /// refused key or a missing bucket fails at once.
    ///
    /// # Errors
    /// The URL does not parse, the client cannot be built, or its runtime cannot start.
    pub fn open(settings: &RemoteSettings) -> Result<Option<Remote>, RemoteError> {
        let Some(location) = settings.location()? else {
            return Ok(None);
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&location.bucket)
            .with_region(
                settings
                    .region
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .unwrap_or("us-east-1"),
            )
            .with_access_key_id(settings.access_key_id.as_deref().unwrap_or_default().trim())
            .with_secret_access_key(
                settings
                    .secret_access_key
                    .as_ref()
                    .map_or("", |s| s.expose_secret()),
            )
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: Duration::from_secs(60),
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(CONNECT_TIMEOUT)
                    .with_timeout(REQUEST_TIMEOUT),
            );
        if let Some(endpoint) = settings
            .endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            builder = builder
                .with_endpoint(endpoint.trim_end_matches('/'))
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(|source| RemoteError::Config {
            location: location.to_string(),
            source,
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wetech-remote")
            .enable_all()
            .build()
            .map_err(RemoteError::Runtime)?;
        Ok(Some(Remote {
            store,
            location,
            keep: settings.keep.max(1),
            runtime,
        }))
    }

    /// `s3://BUCKET/PREFIX`.
    #[must_use]
    pub fn location(&self) -> &RemoteLocation {
        &self.location
    }

    /// How many backups of a kind the remote keeps (`backup.remote.keep`).
    #[must_use]
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// The object key of `name` under the prefix.
    pub(super) fn key(&self, name: &str) -> ObjectPath {
        if self.location.prefix.is_empty() {
            ObjectPath::from(name)
        } else {
            ObjectPath::from(format!("{}/{name}", self.location.prefix))
        }
    }

    /// `s3://BUCKET/PREFIX/NAME`, for messages.
    #[must_use]
    pub fn url_of(&self, name: &str) -> String {
        format!("s3://{}/{}", self.location.bucket, self.key(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn settings(url: Option<&str>) -> RemoteSettings {
        RemoteSettings {
            url: url.map(str::to_owned),
            endpoint: Some("http://127.0.0.1:9".to_owned()),
            access_key_id: Some("AKIDEXAMPLE".to_owned()),
            secret_access_key: Some(SecretString::from("s3-secret-never-shown")),
            keep: 4,
            ..RemoteSettings::default()
        }
    }

    #[test]
    fn objects_live_directly_under_the_prefix() {
        assert!(Remote::open(&settings(None)).unwrap().is_none());
        let root = Remote::open(&settings(Some("s3://bucket-a")))
            .unwrap()
            .unwrap();
        assert_eq!(root.key("wetech-x.sqlite3").as_ref(), "wetech-x.sqlite3");
        assert_eq!(
            root.url_of("wetech-x.sqlite3"),
            "s3://bucket-a/wetech-x.sqlite3"
        );
        let nested = Remote::open(&settings(Some("s3://bucket-a/site/prod/")))
            .unwrap()
            .unwrap();
        assert_eq!(nested.key("n").as_ref(), "site/prod/n");
        assert_eq!(nested.location().to_string(), "s3://bucket-a/site/prod");
        assert_eq!(nested.keep(), 4);
        let shown = format!("{nested:?}");
        assert!(!shown.contains("s3-secret-never-shown"), "{shown}");
    }
}
