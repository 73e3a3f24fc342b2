//! wetech-test-db (dev-only): test databases on both backends for the workspace's tests.
//!
//! - [`TestDb::sqlite`]: a migrated SQLite file in a fresh temporary directory.
//! - [`TestDb::postgres`]: a fresh, migrated database. With `WETECH_TEST_POSTGRES_URL` set, it is
//!   created on that server (the URL's database is used to issue `CREATE DATABASE`). Otherwise one
//!   throwaway PostgreSQL server is started per test process (`initdb` + `pg_ctl` on a temporary
//!   directory and a free port, as the `postgres` user when running as root; binaries from `PATH`
//!   or `/usr/lib/postgresql/*/bin`). Each `TestDb` drops its database when dropped.
//! - When PostgreSQL is unavailable, [`TestDb::postgres`] prints a loud notice to stderr and
//!   returns `None` (the test is skipped), except under `CI=true`, where it panics.
//! - [`backend_tests!`] writes a test once and runs it on both backends.
//! - The throwaway server and how it is stopped: see the `server` module.
//! - [`TestS3`]: a throwaway S3-compatible server (moto) with a bucket and a key, and
//!   [`CutProxy`], which cuts the connections to it part-way through an upload.

mod backend_tests;
mod s3;
mod server;
mod source;
mod test_db;

pub use s3::{CutProxy, MOTO_PYTHON_ENV, TEST_BUCKET, TestS3};
pub use source::POSTGRES_URL_ENV;
pub use test_db::{TestDb, each_backend};
