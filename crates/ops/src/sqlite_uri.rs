//! `file:` URIs for SQLite database paths, the form that carries open flags (`mode=ro`,
//! `immutable=1`, `mode=rw` without creating the file).

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The bytes of a path that are percent-encoded in the URI: all but letters, digits and
/// `/ . _ - ~` (non-ASCII bytes always are).
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'_')
    .remove(b'-')
    .remove(b'~');

/// A `file:` URI for `path`, made absolute against the current directory, with the query
/// `params` (`mode=ro&immutable=1`).
///
/// # Errors
/// The current directory cannot be read, or the path is not valid UTF-8 (`InvalidInput`).
pub fn sqlite_file_uri(path: &Path, params: &str) -> std::io::Result<String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let text = absolute.to_str().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not valid UTF-8", absolute.display()),
        )
    })?;
    Ok(format!(
        "file:{}?{params}",
        utf8_percent_encode(text, ENCODED)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_everything_unusual() {
        assert_eq!(
            sqlite_file_uri(Path::new("/a b/c?d#e%.db"), "mode=ro").unwrap(),
            "file:/a%20b/c%3Fd%23e%25.db?mode=ro"
        );
        assert_eq!(
            sqlite_file_uri(Path::new("/srv/wetech-é_1~.sqlite3"), "mode=rw").unwrap(),
            "file:/srv/wetech-%C3%A9_1~.sqlite3?mode=rw"
        );
        assert!(
            sqlite_file_uri(Path::new("rel.db"), "x")
                .unwrap()
                .starts_with("file:/")
        );
    }

    #[test]
    fn a_path_that_is_not_utf8_is_refused() {
        use std::os::unix::ffi::OsStrExt as _;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/tmp/\xFF.db"));
        let e = sqlite_file_uri(path, "mode=ro").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    }
}
