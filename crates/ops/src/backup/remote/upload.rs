//! Uploading a backup: a multipart upload completed only when whole, a check of what is
//! stored, then its `.sha256`.

use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use object_store::{ObjectStoreExt as _, PutPayload, WriteMultipart};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::{Remote, RemoteError};
use crate::backup::names::{BackupName, CHECKSUM_SUFFIX};
use crate::backup::{Progress, Stage};

/// The size of one part of a multipart upload, unless the file needs larger ones
/// ([`part_bytes`]); also the step of the progress reports. Memory holds at most
/// [`PARTS_IN_FLIGHT`] parts.
pub(crate) const PART_BYTES: usize = 16 << 20;
/// Parts sent at the same time (eight parts of 8 MiB were no faster against moto:
/// docs/benchmarks.md, "Off-site upload").
const PARTS_IN_FLIGHT: usize = 4;
/// S3's limit on the parts of one upload.
const MAX_PARTS: u64 = 10_000;

/// The part size for a file of `size` bytes: [`PART_BYTES`], or for a file too large for
/// [`MAX_PARTS`] of those, the smallest whole number of MiB that fits (as `aws s3 cp` does).
///
/// ```text
/// part_bytes(1 GiB) = 16 MiB; part_bytes(200 GiB) = 21 MiB
/// ```
fn part_bytes(size: u64) -> usize {
    const MIB: u64 = 1 << 20;
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    usize::try_from(needed).map_or(usize::MAX, |n| n.max(PART_BYTES))
}

/// The outcome of [`Remote::upload`].
#[derive(Debug, Clone, Serialize)]
pub struct UploadReport {
    /// `s3://BUCKET/PREFIX/NAME`.
    pub url: String,
    /// The object's size, as the store reports it (equal to the file's).
    pub size_bytes: u64,
    /// Its SHA-256, computed from the bytes read back from the store (equal to the file's).
    pub sha256: String,
    /// Sending the file.
    #[serde(rename = "upload_ms", serialize_with = "crate::backup::as_millis")]
    pub upload: Duration,
    /// Reading it back and comparing.
    #[serde(rename = "check_ms", serialize_with = "crate::backup::as_millis")]
    pub check: Duration,
    /// Older remote backups deleted by `backup.remote.keep`.
    pub removed: Vec<String>,
    /// Why deleting old remote backups failed, if it did (the new one is in place regardless).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_error: Option<String>,
}

impl Remote {
    /// Uploads the local backup `file` (whose SHA-256 is `sha256`) to `PREFIX/NAME`, checks
    /// the stored object's size and SHA-256, puts `NAME.sha256`, then deletes the oldest remote
    /// backups of its kind beyond `keep`.
    ///
    /// The check reads the object back and hashes it. S3's ETag of a multipart upload is not a
    /// digest of the content, and the checksums some services compute on upload are per part and
    /// not offered alike by every S3-compatible service; reading back proves that the bytes
    /// stored are the backup's bytes, wherever they are stored, at the price of a download.
    ///
    /// # Errors
    /// Reading the file, any request, or the check failed. An interrupted upload is aborted, and
    /// an object that does not match is deleted: neither leaves an object under the final name
    /// (an abort that cannot reach the service leaves its parts to the bucket's lifecycle rule,
    /// docs/operations.md).
    pub fn upload(
        &self,
        file: &Path,
        sha256: &str,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<UploadReport, RemoteError> {
        let started = Instant::now();
        let (name, kind) = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| BackupName::parse(n).map(|parsed| (n, parsed.kind)))
            .ok_or_else(|| RemoteError::NotABackupName(file.display().to_string()))?;
        let url = self.url_of(name);
        let size = self
            .runtime
            .block_on(self.send(file, name, &url, started, progress))?;
        let upload = started.elapsed();
        let step = Instant::now();
        self.runtime
            .block_on(self.check_stored(name, &url, size, sha256, started, progress))?;
        let sum = format!("{sha256}  {name}\n");
        let sum_name = format!("{name}{CHECKSUM_SUFFIX}");
        self.runtime
            .block_on(
                self.store
                    .put(&self.key(&sum_name), PutPayload::from(sum.into_bytes())),
            )
            .map_err(RemoteError::store(format!(
                "cannot upload {url}{CHECKSUM_SUFFIX}"
            )))?;
        let check = step.elapsed();
        tracing::info!(url = %url, size_bytes = size, "backup uploaded and checked");
        let (removed, retention_error) = match self.prune(kind, self.keep, name) {
            Ok(removed) => (removed, None),
            Err(e) => (Vec::new(), Some(crate::backup::error::chain_text(&e))),
        };
        Ok(UploadReport {
            url,
            size_bytes: size,
            sha256: sha256.to_owned(),
            upload,
            check,
            removed,
            retention_error,
        })
    }

    /// Sends `file` as a multipart upload to `name`; aborts it on any failure. Returns the
    /// bytes sent.
    async fn send(
        &self,
        file: &Path,
        name: &str,
        url: &str,
        started: Instant,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<u64, RemoteError> {
        let mut f = std::fs::File::open(file)
            .map_err(RemoteError::io(format!("cannot read {}", file.display())))?;
        let upload =
            self.store
                .put_multipart(&self.key(name))
                .await
                .map_err(RemoteError::store(format!(
                    "cannot start the upload of {url}"
                )))?;
        let part_size = part_bytes(f.metadata().map_or(0, |m| m.len()));
        let mut writer = WriteMultipart::new_with_chunk_size(upload, part_size);
        let mut sent = 0_u64;
        let failure = loop {
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break RemoteError::store(format!("cannot upload {url}"))(e);
            }
            let mut part = Vec::with_capacity(part_size);
            match (&mut f).take(part_size as u64).read_to_end(&mut part) {
                Ok(0) => match writer.finish().await {
                    Ok(_) => return Ok(sent),
                    // `finish` has aborted the upload.
                    Err(e) => return Err(RemoteError::store(format!("cannot upload {url}"))(e)),
                },
                Ok(n) => {
                    sent += n as u64;
                    writer.put(part.into());
                    progress(Progress {
                        stage: Stage::Uploading,
                        bytes: Some(sent),
                        elapsed: started.elapsed(),
                    });
                }
                Err(e) => break RemoteError::io(format!("cannot read {}", file.display()))(e),
            }
        };
        if let Err(e) = writer.abort().await {
            tracing::warn!(url = %url, error = %e, "cannot abort the failed upload");
        }
        Err(failure)
    }

    /// Compares the stored object's size and SHA-256 (read back) with the backup's; deletes
    /// an object that differs.
    async fn check_stored(
        &self,
        name: &str,
        url: &str,
        size: u64,
        sha256: &str,
        started: Instant,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<(), RemoteError> {
        let key = self.key(name);
        let outcome = async {
            let got = self
                .store
                .get(&key)
                .await
                .map_err(RemoteError::store(format!("cannot read back {url}")))?;
            if got.meta.size != size {
                return Err(RemoteError::Mismatch {
                    url: url.to_owned(),
                    what: format!("it holds {} bytes, the backup {size}", got.meta.size),
                });
            }
            let found = read_object(
                got.into_stream(),
                url,
                Stage::CheckingUpload,
                (started, progress),
                |_| Ok(()),
            )
            .await?;
            if !found.eq_ignore_ascii_case(sha256) {
                return Err(RemoteError::Mismatch {
                    url: url.to_owned(),
                    what: format!("its SHA-256 is {found}, the backup's {sha256}"),
                });
            }
            Ok(())
        }
        .await;
        if let Err(RemoteError::Mismatch { .. }) = &outcome
            && let Err(e) = self.store.delete(&key).await
        {
            tracing::warn!(url = %url, error = %e, "cannot delete the mismatching object");
        }
        outcome
    }
}

/// Reads a stream of an object's bytes, handing each chunk to `write`; returns their hex
/// SHA-256.
pub(super) async fn read_object(
    mut stream: futures_util::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    url: &str,
    stage: Stage,
    (started, progress): (Instant, &(dyn Fn(Progress) + Sync)),
    mut write: impl FnMut(&[u8]) -> Result<(), RemoteError>,
) -> Result<String, RemoteError> {
    let mut hasher = Sha256::new();
    let mut read = 0_u64;
    let mut reported = 0_u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(RemoteError::store(format!("cannot read {url}")))?;
        hasher.update(&chunk);
        write(&chunk)?;
        read += chunk.len() as u64;
        if read - reported >= PART_BYTES as u64 {
            reported = read;
            progress(Progress {
                stage,
                bytes: Some(read),
                elapsed: started.elapsed(),
            });
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_only_when_a_file_needs_more_than_ten_thousand() {
        const MIB: u64 = 1 << 20;
        assert_eq!(part_bytes(0), PART_BYTES);
        assert_eq!(part_bytes(1024 * MIB), PART_BYTES);
        assert_eq!(part_bytes(MAX_PARTS * 16 * MIB), PART_BYTES);
        assert_eq!(part_bytes(MAX_PARTS * 16 * MIB + 1), 17 << 20);
        assert_eq!(part_bytes(200 * 1024 * MIB), 21 << 20);
        assert!(part_bytes(u64::MAX) >= PART_BYTES);
    }
}
