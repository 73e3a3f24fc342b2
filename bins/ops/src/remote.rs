//! The off-site part of `ops backup`, `ops backup list [--remote]` and `ops restore --remote`
//! (docs/operations.md, "Off-site backups").

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use wetech_ops::backup::remote::{Remote, UploadReport};
use wetech_ops::backup::{self, ListedBackup, Progress};
use wetech_runtime::Settings;

use crate::output;
use crate::{Failure, Outcome};

/// The configured remote, or `None` when `backup.remote.url` is unset.
pub(crate) fn open(settings: &Settings) -> Result<Option<Remote>, Failure> {
    Ok(Remote::open(&settings.backup.remote)?)
}

fn require(settings: &Settings) -> Result<Remote, Failure> {
    open(settings)?.ok_or_else(|| {
        Failure::Failed(anyhow::anyhow!(
            "no off-site storage is configured: set backup.remote.url (WETECH__BACKUP__REMOTE__URL) \
             and its keys"
        ))
    })
}

/// Uploads the new local backup `file`; the error says the local backup is kept.
pub(crate) fn upload(
    remote: &Remote,
    file: &Path,
    sha256: &str,
    progress: &(dyn Fn(Progress) + Sync),
) -> anyhow::Result<UploadReport> {
    remote.upload(file, sha256, progress).with_context(|| {
        format!(
            "the backup {} is kept locally, but its upload to {} failed",
            file.display(),
            remote.location()
        )
    })
}

/// The lines `ops backup` prints about the upload (before the path, which stays last).
pub(crate) fn print_upload(r: &UploadReport) {
    outln!(
        "uploaded to {} in {} and checked (size and SHA-256 read back) in {}",
        r.url,
        output::duration(r.upload),
        output::duration(r.check)
    );
    for old in &r.removed {
        outln!("  removed old remote backup {old}");
    }
}

/// `ops backup list [--remote]`.
pub(crate) fn list(settings: &Settings, remote: bool, json: bool) -> Outcome {
    let (place, backups) = if remote {
        let r = require(settings)?;
        let backups = r
            .list()
            .with_context(|| format!("cannot list the backups in {}", r.location()))?;
        (r.location().to_string(), backups)
    } else {
        let dir = &settings.backup.dir;
        (dir.display().to_string(), backup::list(dir)?)
    };
    if json {
        return output::print_json(&backups);
    }
    if backups.is_empty() {
        outln!("no backups in {place}");
        return Ok(());
    }
    outln!("{} backup(s) in {place}, newest first:", backups.len());
    for b in &backups {
        outln!("{}", row(b));
    }
    Ok(())
}

fn row(b: &ListedBackup) -> String {
    format!(
        "{}  {}  {:>10}  {}",
        b.name,
        b.taken_at.format("%Y-%m-%d %H:%M:%SZ"),
        output::bytes(b.size_bytes),
        if b.checksum {
            "sha256 ok"
        } else {
            "no .sha256"
        }
    )
}

/// `ops restore NAME --remote --yes`, first half: the backup `name` downloaded into
/// `backup.dir` and checked against its `.sha256`. Returns the local file and its URL.
pub(crate) fn download(
    settings: &Settings,
    name: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(PathBuf, String), Failure> {
    let r = require(settings)?;
    let name = name.to_str().unwrap_or_default();
    let url = r.url_of(name);
    let path = r
        .download(name, &settings.backup.dir, progress)
        .with_context(|| format!("restore of {url} failed; the database was not touched"))?;
    Ok((path, url))
}
