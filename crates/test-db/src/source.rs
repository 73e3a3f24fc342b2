//! Where the test databases are created: the server `WETECH_TEST_POSTGRES_URL` names, or a
//! throwaway server of this process; and what happens when there is none.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::server::{PgServer, find_pg_bin};

/// Environment variable naming an existing PostgreSQL server to create test databases on.
pub const POSTGRES_URL_ENV: &str = "WETECH_TEST_POSTGRES_URL";

pub(crate) fn unique_database_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "wetech_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Skips a PostgreSQL test with a loud notice, or fails it under `CI=true`.
pub(crate) fn skip_or_fail(reason: &str) {
    skip_or_fail_in(ci(), reason);
}

fn skip_or_fail_in(ci: bool, reason: &str) {
    if ci {
        panic!(
            "PostgreSQL tests cannot run under CI=true: {reason}. Install PostgreSQL \
             (initdb, pg_ctl) or set {POSTGRES_URL_ENV}."
        );
    }
    let line = "!".repeat(78);
    eprintln!(
        "\n{line}\n!! SKIPPING a PostgreSQL test: {reason}.\n!! Install PostgreSQL (initdb, \
         pg_ctl) or set {POSTGRES_URL_ENV}; under CI=true this is a failure.\n{line}\n"
    );
}

pub(crate) enum Unavailable {
    /// No server to use: skip (or fail under CI).
    NotInstalled(&'static str),
    /// Binaries exist but starting failed: always a failure.
    Failed(String),
}

pub(crate) enum PgSource {
    External(String),
    Throwaway(PgServer),
}

impl PgSource {
    pub(crate) fn admin_url(&self) -> String {
        match self {
            PgSource::External(url) => url.clone(),
            PgSource::Throwaway(server) => server.url("postgres"),
        }
    }

    pub(crate) fn database_url(&self, database: &str) -> Result<String, url::ParseError> {
        match self {
            PgSource::External(url) => {
                let mut url = url::Url::parse(url)?;
                url.set_path(database);
                Ok(url.to_string())
            }
            PgSource::Throwaway(server) => Ok(server.url(database)),
        }
    }
}

pub(crate) fn pg_source() -> Result<&'static PgSource, &'static Unavailable> {
    static SOURCE: OnceLock<Result<PgSource, Unavailable>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            if let Ok(url) = std::env::var(POSTGRES_URL_ENV)
                && !url.trim().is_empty()
            {
                return Ok(PgSource::External(url));
            }
            let Some(bin) = find_pg_bin() else {
                return Err(Unavailable::NotInstalled(
                    "no PostgreSQL binaries (initdb, pg_ctl) on PATH or in \
                     /usr/lib/postgresql/*/bin, and WETECH_TEST_POSTGRES_URL is not set",
                ));
            };
            PgServer::start(&bin)
                .map(PgSource::Throwaway)
                .map_err(Unavailable::Failed)
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "cannot run under CI=true: no server")]
    fn a_missing_postgres_fails_under_ci() {
        skip_or_fail_in(true, "no server");
    }

    #[test]
    fn a_missing_postgres_is_skipped_elsewhere() {
        skip_or_fail_in(false, "no server");
    }
}
