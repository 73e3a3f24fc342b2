//! Downloading a remote backup into the backup directory, refused unless its SHA-256 matches
//! its `.sha256` object.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use object_store::ObjectStoreExt as _;

use super::upload::read_object;
use super::{Remote, RemoteError};
use crate::backup::checksum::{parse_sum, write_sum_file};
use crate::backup::file_ops::{checksum_path, sync_dir};
use crate::backup::names::{BackupName, CHECKSUM_SUFFIX};
use crate::backup::publish::TempFile;
use crate::backup::{Progress, Stage};

/// The most of a `.sha256` object that is read.
const MAX_SUM_BYTES: usize = 4096;

impl Remote {
    /// Downloads the remote backup `name` into `dir` as `dir/NAME` (with `NAME.sha256`),
    /// replacing a local file of that name only once the download is complete and its SHA-256
    /// equals the one in the remote `NAME.sha256`. Returns the local path.
    ///
    /// # Errors
    /// `name` is not a backup name, the backup or its checksum object is missing, a request
    /// failed, the SHA-256 differs ([`RemoteError::Mismatch`]: nothing is left in `dir`), or the
    /// file cannot be written.
    pub fn download(
        &self,
        name: &str,
        dir: &Path,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<PathBuf, RemoteError> {
        let started = Instant::now();
        if BackupName::parse(name).is_none() {
            return Err(RemoteError::NotABackupName(name.to_owned()));
        }
        let url = self.url_of(name);
        std::fs::create_dir_all(dir)
            .map_err(RemoteError::io(format!("cannot create {}", dir.display())))?;
        let expected = self.runtime.block_on(self.expected_sum(name, &url))?;
        let tmp = TempFile::new_name(dir, "wetech-download");
        let mut file = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(tmp.path())
            .map_err(RemoteError::io(format!(
                "cannot create {}",
                tmp.path().display()
            )))?;
        let found = self.runtime.block_on(async {
            let got = self.store.get(&self.key(name)).await.map_err(|e| match e {
                object_store::Error::NotFound { .. } => RemoteError::NotFound { url: url.clone() },
                e => RemoteError::store(format!("cannot download {url}"))(e),
            })?;
            let tmp_path = tmp.path().display().to_string();
            read_object(
                got.into_stream(),
                &url,
                Stage::Downloading,
                (started, progress),
                |chunk| {
                    file.write_all(chunk)
                        .map_err(RemoteError::io(format!("cannot write {tmp_path}")))
                },
            )
            .await
        })?;
        if !found.eq_ignore_ascii_case(&expected) {
            return Err(RemoteError::Mismatch {
                url,
                what: format!(
                    "its SHA-256 is {found}, but {name}{CHECKSUM_SUFFIX} records {expected}: \
                     the stored object is damaged; nothing was restored"
                ),
            });
        }
        file.sync_all().map_err(RemoteError::io(format!(
            "cannot write {}",
            tmp.path().display()
        )))?;
        drop(file);
        let target = dir.join(name);
        let sum = write_sum_file(dir, &found, name).map_err(as_io)?;
        std::fs::rename(sum.path(), checksum_path(&target)).map_err(RemoteError::io(format!(
            "cannot create {}{CHECKSUM_SUFFIX}",
            target.display()
        )))?;
        sum.keep();
        std::fs::rename(tmp.path(), &target).map_err(RemoteError::io(format!(
            "cannot create {}",
            target.display()
        )))?;
        tmp.keep();
        sync_dir(dir).map_err(as_io)?;
        tracing::info!(url = %url, path = %target.display(), "remote backup downloaded");
        Ok(target)
    }

    /// The SHA-256 recorded in the remote `NAME.sha256`.
    async fn expected_sum(&self, name: &str, url: &str) -> Result<String, RemoteError> {
        let sum_url = format!("{url}{CHECKSUM_SUFFIX}");
        let sum_key = self.key(&format!("{name}{CHECKSUM_SUFFIX}"));
        let got = match self.store.get(&sum_key).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => {
                // Say which is missing: the backup itself, or only its checksum.
                return Err(match self.store.head(&self.key(name)).await {
                    Err(object_store::Error::NotFound { .. }) => RemoteError::NotFound {
                        url: url.to_owned(),
                    },
                    _ => RemoteError::MissingChecksum {
                        url: url.to_owned(),
                    },
                });
            }
            Err(e) => return Err(RemoteError::store(format!("cannot download {sum_url}"))(e)),
        };
        if got.meta.size > MAX_SUM_BYTES as u64 {
            return Err(RemoteError::BadChecksum { url: sum_url });
        }
        let bytes = got
            .bytes()
            .await
            .map_err(RemoteError::store(format!("cannot download {sum_url}")))?;
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(parse_sum)
            .map(str::to_owned)
            .ok_or(RemoteError::BadChecksum { url: sum_url })
    }
}

/// A local file step of the download that failed inside the backup module's helpers.
fn as_io(e: crate::backup::BackupError) -> RemoteError {
    match e {
        crate::backup::BackupError::Io { context, source } => RemoteError::Io { context, source },
        other => RemoteError::Io {
            context: other.to_string(),
            source: std::io::Error::other("file operation failed"),
        },
    }
}
