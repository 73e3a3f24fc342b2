//! `ops backup`, `ops backup verify FILE`, `ops restore FILE --yes`.

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use wetech_ops::backup::remote::UploadReport;
use wetech_ops::backup::{self, BackupReport, VerifyReport};
use wetech_persistence::Backend;
use wetech_runtime::Settings;

use crate::cli::{BackupArgs, RestoreArgs};
use crate::output::{self, ProgressLine};
use crate::{Failure, Outcome, remote};

/// `ops backup [--keep N] [--dir DIR]`: the final path is the last line on stdout.
pub(crate) fn backup(settings: &Settings, args: &BackupArgs, json: bool) -> Outcome {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| settings.backup.dir.clone());
    let keep = args.keep.map_or(settings.backup.keep, |k| k as usize);
    // A remote that cannot be set up fails before the backup is taken.
    let remote = remote::open(settings)?;
    let progress = ProgressLine::for_stderr();
    let report = backup::backup(&settings.database, &dir, keep, &|p| progress.report(p))
        .with_context(|| format!("backup into {} failed; nothing was deleted", dir.display()))?;
    let uploaded = remote
        .as_ref()
        .map(|r| remote::upload(r, &report.path, &report.sha256, &|p| progress.report(p)));
    let (uploaded, upload_error) = match uploaded {
        Some(Ok(u)) => (Some(u), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    if json {
        let mut doc = BackupJson::from(&report);
        doc.remote = uploaded.as_ref();
        doc.remote_error = upload_error.as_ref().map(crate::error_text::error_text);
        output::print_json(&doc)?;
    } else {
        print_backup(&report, uploaded.as_ref());
    }
    if let Some(e) = upload_error {
        return Err(Failure::Failed(e));
    }
    if let Some(e) = uploaded.as_ref().and_then(|u| u.retention_error.as_ref()) {
        return Err(Failure::Failed(anyhow::anyhow!(
            "the backup {} is in place here and in the bucket, but removing old remote backups \
             failed: {e}",
            report.path.display()
        )));
    }
    if let Some(e) = &report.retention_error {
        return Err(Failure::Failed(anyhow::anyhow!(
            "the backup {} is in place, but removing old backups failed: {e}",
            report.path.display()
        )));
    }
    Ok(())
}

/// The `--json` form of a backup: path, size_bytes, duration_ms, row_counts and more.
#[derive(Serialize)]
struct BackupJson<'a> {
    path: &'a Path,
    size_bytes: u64,
    duration_ms: u64,
    row_counts: &'a std::collections::BTreeMap<String, u64>,
    kind: wetech_ops::BackupKind,
    sha256: &'a str,
    migrations: &'a [String],
    removed: &'a [std::path::PathBuf],
    timings: wetech_ops::backup::Timings,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_error: Option<&'a str>,
    /// The upload to `backup.remote`, when one is configured and it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    remote: Option<&'a UploadReport>,
    /// Why the upload failed (the local backup is in place).
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_error: Option<String>,
}

impl<'a> From<&'a BackupReport> for BackupJson<'a> {
    fn from(r: &'a BackupReport) -> Self {
        BackupJson {
            path: &r.path,
            size_bytes: r.size_bytes,
            duration_ms: u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX),
            row_counts: &r.row_counts,
            kind: r.kind,
            sha256: &r.sha256,
            migrations: &r.migrations,
            removed: &r.removed,
            timings: r.timings,
            retention_error: r.retention_error.as_deref(),
            remote: None,
            remote_error: None,
        }
    }
}

fn print_backup(r: &BackupReport, uploaded: Option<&UploadReport>) {
    let rows: u64 = r.row_counts.values().sum();
    outln!(
        "{} backup written in {}: {}, {} tables, {rows} rows, sha256 {}",
        r.kind,
        output::duration(r.duration),
        output::bytes(r.size_bytes),
        r.row_counts.len(),
        r.sha256
    );
    outln!("  rows: {}", row_summary(&r.row_counts));
    for old in &r.removed {
        outln!("  removed old backup {}", old.display());
    }
    if let Some(u) = uploaded {
        remote::print_upload(u);
    }
    outln!("{}", r.path.display());
}

fn row_summary(counts: &std::collections::BTreeMap<String, u64>) -> String {
    counts
        .iter()
        .filter(|(t, _)| !t.starts_with("__"))
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ops backup verify FILE`: exit 0 only for a sound backup.
pub(crate) fn verify(file: &Path, json: bool) -> Outcome {
    let report = backup::verify(file)?;
    if json {
        output::print_json(&report)?;
    } else {
        print_verify(&report);
    }
    Ok(())
}

fn print_verify(r: &VerifyReport) {
    let rows: u64 = r.row_counts.values().sum();
    outln!(
        "{} is a sound {} backup: {}, {} tables, {rows} rows",
        r.path.display(),
        r.kind,
        output::bytes(r.size_bytes),
        r.row_counts.len()
    );
    if r.checksum_verified {
        outln!(
            "  checksum: matches {}.sha256 ({})",
            r.path.display(),
            r.sha256
        );
    } else {
        outln!(
            "  checksum: no {}.sha256 file; sha256 is {}",
            r.path.display(),
            r.sha256
        );
    }
    outln!(
        "  schema: {}",
        r.migrations.last().map_or("-", String::as_str)
    );
    if !r.pending_migrations.is_empty() {
        outln!(
            "  older than this build: `ops migrate` applies {} after a restore",
            r.pending_migrations.join(", ")
        );
    }
    outln!("  rows: {}", row_summary(&r.row_counts));
}

/// `ops restore FILE [--yes]`.
pub(crate) fn restore(settings: &Settings, args: &RestoreArgs, json: bool) -> Outcome {
    let backend = settings.database.backend()?;
    let target = match (backend, settings.database.sqlite_path()) {
        (Backend::Sqlite, Some(path)) => format!("the SQLite database {}", path.display()),
        _ => "the configured PostgreSQL database".to_owned(),
    };
    if !args.yes {
        let stop = match backend {
            Backend::Sqlite => "Stop `web` first: a database that is open elsewhere is refused.\n",
            Backend::Postgres => "",
        };
        let (fetch, flag) = if args.remote {
            (
                format!(
                    "It first downloads {file} from backup.remote.url into {dir} and checks its SHA-256.\n",
                    file = args.file.display(),
                    dir = settings.backup.dir.display(),
                ),
                " --remote",
            )
        } else {
            (String::new(), "")
        };
        return Err(Failure::Usage(format!(
            "restore replaces {target} with {file}.\n\
             {fetch}It checks {file}, then keeps the current database as pre-restore-<time> in {dir}.\n\
             {stop}Run again with --yes to go ahead: ops restore {file}{flag} --yes",
            file = args.file.display(),
            dir = settings.backup.dir.display(),
        )));
    }
    let progress = ProgressLine::for_stderr();
    let (file, shown) = if args.remote {
        remote::download(settings, &args.file, &|p| progress.report(p))?
    } else {
        (args.file.clone(), args.file.display().to_string())
    };
    let report = backup::restore(&file, &settings.database, &settings.backup.dir, &|p| {
        progress.report(p)
    })
    .with_context(|| format!("restore of {shown} failed"))?;
    if json {
        output::print_json(&report)?;
    } else {
        outln!(
            "restored {shown} into {target} in {}",
            output::duration(report.duration)
        );
        if args.remote {
            outln!("  downloaded and checked as {}", file.display());
        }
        match &report.pre_restore_backup {
            Some(pre) => outln!("  the previous database is kept as {}", pre.display()),
            None => outln!("  there was no database before"),
        }
        if !report.verified.pending_migrations.is_empty() {
            outln!(
                "  run `ops migrate` (or start `web`) to apply {}",
                report.verified.pending_migrations.join(", ")
            );
        }
    }
    Ok(())
}
