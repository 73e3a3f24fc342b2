//! Off-site copies of backups in an S3-compatible bucket (`backup.remote`, docs/operations.md,
//! "Off-site backups").
//!
//! - [`Remote::upload`] sends a verified local backup as a multipart upload to `PREFIX/NAME`:
//!   the object exists under that name only once S3 completes the upload, after every part
//!   arrived (an interrupted upload is aborted and leaves no object under the name). It then
//!   checks what is stored — its size, and its SHA-256 by reading it back — and only then puts
//!   `NAME.sha256`, which therefore marks a backup whose upload was checked.
//! - [`Remote::list`] lists the backups directly under the prefix (only names `ops backup`
//!   writes), and [`Remote::prune`] keeps the newest `keep` of a kind, deleting only those names
//!   and their `.sha256` objects: anything else under the prefix is never touched.
//! - [`Remote::download`] fetches `NAME.sha256` and `NAME` into the backup directory, refusing
//!   an object whose SHA-256 differs; the file is then restored as a local one.
//!
//! The network calls are asynchronous (`object_store`); each method runs them on the `Remote`'s
//! own small runtime, so callers stay synchronous like the rest of this module.

mod download;
mod error;
mod listing;
mod store;
mod upload;

pub use error::RemoteError;
pub use store::Remote;
pub use upload::UploadReport;
