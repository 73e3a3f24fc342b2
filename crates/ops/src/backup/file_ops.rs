//! File operations the backup engine relies on: opening only regular files, recognising a
//! backup by its first bytes, reserving blocks, fsync of files and directories, removal.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::names::CHECKSUM_SUFFIX;
use super::{BackupError, BackupKind};

/// `FILE.sha256`.
pub(crate) fn checksum_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(CHECKSUM_SUFFIX);
    PathBuf::from(s)
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::create_dir_all(dir).map_err(BackupError::io(format!(
        "cannot create the backup directory {}",
        dir.display()
    )))
}

/// What kind of file system object `t` is, for error messages ("a FIFO", "a directory", …).
fn describe(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading only if it is a regular file (symlinks followed): anything else — a
/// FIFO, whose opening or reading would wait for a writer forever, a device, a directory — is
/// refused with [`BackupError::NotAFile`]. The file is opened with `O_NONBLOCK`, so that even
/// a FIFO swapped in after the check cannot make this wait; its type is then checked again on
/// the open descriptor.
pub(crate) fn open_regular(path: &Path) -> Result<File, BackupError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let not_a_file = |t: std::fs::FileType| BackupError::NotAFile {
        path: path.to_path_buf(),
        what: describe(t),
    };
    let meta = std::fs::metadata(path)
        .map_err(BackupError::io(format!("cannot open {}", path.display())))?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    let f = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(BackupError::io(format!("cannot open {}", path.display())))?;
    let meta = f
        .metadata()
        .map_err(BackupError::io(format!("cannot open {}", path.display())))?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    Ok(f)
}

/// Recognises the kind of a backup file by its first bytes.
pub(crate) fn sniff(file: &Path) -> Result<BackupKind, BackupError> {
    let mut f = open_regular(file)?;
    let mut header = [0_u8; 16];
    let mut filled = 0;
    while filled < header.len() {
        match f.read(&mut header[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(BackupError::io(format!("cannot read {}", file.display()))(
                    e,
                ));
            }
        }
    }
    BackupKind::sniff(&header[..filled])
        .ok_or_else(|| BackupError::UnknownFormat(file.to_path_buf()))
}

/// Reserves `len` bytes of disk blocks for `path` without changing its size
/// (`fallocate(FALLOC_FL_KEEP_SIZE)`), best effort: nothing happens where the file system or the
/// platform cannot (the writes then allocate as they go).
pub(crate) fn preallocate(path: &Path, len: u64) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use nix::fcntl::{FallocateFlags, fallocate};
        let (Ok(len), Ok(file)) = (
            i64::try_from(len),
            std::fs::OpenOptions::new().write(true).open(path),
        ) else {
            return;
        };
        if len > 0
            && let Err(e) = fallocate(&file, FallocateFlags::FALLOC_FL_KEEP_SIZE, 0, len)
        {
            tracing::debug!(error = %e, "cannot reserve the backup's blocks");
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (path, len);
}

/// fsyncs a file's content.
pub(crate) fn sync_file(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::io(format!("cannot fsync {}", path.display())))
}

/// fsyncs a directory, so that a rename or a new entry in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::io(format!(
            "cannot fsync the directory {}",
            dir.display()
        )))
}

pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

pub(crate) fn remove_if_exists(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BackupError::io(format!("cannot remove {}", path.display()))(e)),
    }
}

/// The size of `path`, if it exists.
pub(crate) fn size_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}
