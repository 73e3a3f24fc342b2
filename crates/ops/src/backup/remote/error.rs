//! Why an off-site operation failed.

/// Why an upload, listing, retention or download of the remote failed. Never contains the
/// secret key (it only signs requests).
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// `backup.remote` is unusable.
    #[error(transparent)]
    Setting(#[from] crate::settings::InvalidSetting),
    /// The S3 client could not be configured from `backup.remote`.
    #[error("cannot set up the S3 client for {location}")]
    Config {
        /// `s3://BUCKET/PREFIX`.
        location: String,
        /// The client's error.
        #[source]
        source: object_store::Error,
    },
    /// The runtime the network calls run on could not start.
    #[error("cannot start the runtime for the S3 client")]
    Runtime(#[source] std::io::Error),
    /// A request to the store failed (unreachable, refused credentials, …).
    #[error("{context}")]
    Store {
        /// What was being done, with the object's URL.
        context: String,
        /// The client's error (HTTP status and the service's message).
        #[source]
        source: object_store::Error,
    },
    /// A local file operation failed.
    #[error("{context}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The name is not one `ops backup` writes.
    #[error(
        "{0:?} is not the name of a wetech backup (wetech-YYYYMMDDTHHMMSSZ[-N].sqlite3 or .pgdump)"
    )]
    NotABackupName(String),
    /// No such backup in the bucket.
    #[error("there is no backup {url}")]
    NotFound {
        /// The object's URL.
        url: String,
    },
    /// The backup has no `.sha256` object: its upload never completed its check.
    #[error("{url}.sha256 is missing: the upload of that backup was not completed and checked")]
    MissingChecksum {
        /// The backup's URL.
        url: String,
    },
    /// The `.sha256` object is not a `sha256sum` line.
    #[error("{url} is not a SHA-256 checksum file")]
    BadChecksum {
        /// The checksum object's URL.
        url: String,
    },
    /// What the store holds differs from the backup (size or SHA-256).
    #[error("{url} does not match the backup: {what}")]
    Mismatch {
        /// The object's URL.
        url: String,
        /// What differs, with both values.
        what: String,
    },
    /// Deleting old remote backups failed for some of them (the others were deleted).
    #[error("cannot delete old remote backup(s) {}", .0.join("; "))]
    Retention(Vec<String>),
}

impl RemoteError {
    pub(super) fn store(context: impl Into<String>) -> impl FnOnce(object_store::Error) -> Self {
        let context = context.into();
        move |source| RemoteError::Store { context, source }
    }

    pub(super) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| RemoteError::Io { context, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::error::chain_text;

    #[test]
    fn messages_leave_their_cause_to_the_chain() {
        let errors = [
            RemoteError::store("cannot upload s3://b/p/x")(object_store::Error::NotImplemented {
                operation: "disk on fire".to_owned(),
                implementer: "test".to_owned(),
            }),
            RemoteError::io("cannot read /b/x")(std::io::Error::other("disk on fire")),
            RemoteError::Runtime(std::io::Error::other("disk on fire")),
        ];
        for e in &errors {
            let source = std::error::Error::source(e).unwrap().to_string();
            assert!(!e.to_string().contains(&source), "{e} repeats {source}");
            assert_eq!(chain_text(e).matches(&source).count(), 1);
        }
    }
}
