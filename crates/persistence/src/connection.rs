//! The connection type over both backends, the pool and its connection manager.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use crate::error::PersistenceError;
use crate::settings::DatabaseSettings;

/// A connection to either SQLite or PostgreSQL. Repository functions take `&mut DbConnection`.
///
/// Diesel's `MultiConnection` derive lets one query run on both; where the backends differ
/// (upserts, `BEGIN IMMEDIATE`) the crate matches on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// An SQLite file, opened with the pragmas of [`SQLITE_PRAGMAS`].
    Sqlite(SqliteConnection),
    /// A PostgreSQL server.
    Pg(PgConnection),
}

impl DbConnection {
    /// Which backend this connection talks to.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Pg(_) => Backend::Postgres,
        }
    }
}

impl fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbConnection({})", self.backend())
    }
}

/// The two supported database engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (bundled), the default: a single file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// Both backends, SQLite first.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// `"sqlite"` or `"postgres"` (for logs, metrics and file names).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// Pragmas run on every new SQLite connection: wait up to 5 s for a lock, write-ahead log,
/// fsync the log on every commit (an acknowledged write survives power loss), enforce foreign
/// keys. `busy_timeout` comes first so that switching to WAL waits for a concurrent opener.
pub const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000;\
     PRAGMA journal_mode = WAL;\
     PRAGMA synchronous = FULL;\
     PRAGMA foreign_keys = ON;";

/// Where a database URL points, decided by its scheme alone.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A file path (or `file:` URI) for SQLite.
    Sqlite(String),
    /// A libpq URL, passed through.
    Postgres(String),
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: show only the backend.
        write!(f, "Target({})", self.backend())
    }
}

impl Target {
    /// Parses a database URL. The error message never repeats the URL (it may hold a password).
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        if url.is_empty() {
            return Err("is empty".to_owned());
        }
        if url.contains('\0') {
            return Err("contains a NUL byte".to_owned());
        }
        let lower_prefix = |prefix: &str| {
            url.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        };
        for prefix in ["postgres://", "postgresql://"] {
            if lower_prefix(prefix) {
                return if url.len() == prefix.len() {
                    Err("names no PostgreSQL server or database".to_owned())
                } else {
                    check_postgres_uri(&url[prefix.len()..])?;
                    Ok(Target::Postgres(url.to_owned()))
                };
            }
        }
        let path = if lower_prefix("sqlite://") {
            &url["sqlite://".len()..]
        } else if lower_prefix("sqlite:") {
            &url["sqlite:".len()..]
        } else if let Some(scheme) = scheme_of(url) {
            return Err(format!(
                "unsupported scheme {scheme:?}: use sqlite://PATH or postgres://…"
            ));
        } else {
            url
        };
        if path.is_empty() {
            return Err("names no SQLite file".to_owned());
        }
        if path.contains(":memory:") || path.contains("mode=memory") {
            return Err(
                "an in-memory SQLite database cannot be shared by a connection pool; use a file"
                    .to_owned(),
            );
        }
        Ok(Target::Sqlite(path.to_owned()))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Checks the part of a libpq URI after `postgres://` the way libpq parses it
/// (`[user[:password]@][host][:port][,…][/dbname][?key=value&…]`), so that a malformed URL is
/// refused at start-up naming `database.url` instead of failing later in libpq, whose message
/// quotes the whole URI. The error never contains any part of the URL.
fn check_postgres_uri(rest: &str) -> Result<(), String> {
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "is not a valid PostgreSQL URL: it contains whitespace or control characters"
                .to_owned(),
        );
    }
    let bad = |why: &str| Err(format!("is not a valid PostgreSQL URL: {why}"));
    // libpq: the user part ends at the first '@' that comes before any '/'.
    let mut rest = match rest.find(['@', '/']) {
        Some(i) if rest.as_bytes()[i] == b'@' => {
            if !percent_encoding_is_valid(&rest[..i]) {
                return bad("invalid percent-encoding in the user name or password");
            }
            &rest[i + 1..]
        }
        _ => rest,
    };
    loop {
        if let Some(after) = rest.strip_prefix('[') {
            let Some(close) = after.find(']') else {
                return bad("an IPv6 host address misses its closing \"]\"");
            };
            if close == 0 {
                return bad("an IPv6 host address is empty");
            }
            rest = &after[close + 1..];
        } else {
            let end = rest.find([':', '/', '?', ',']).unwrap_or(rest.len());
            if !percent_encoding_is_valid(&rest[..end]) {
                return bad("invalid percent-encoding in a host name");
            }
            rest = &rest[end..];
        }
        if let Some(after) = rest.strip_prefix(':') {
            let end = after.find(['/', '?', ',']).unwrap_or(after.len());
            let port = &after[..end];
            if !port.is_empty() && port.parse::<u16>().map_or(true, |p| p == 0) {
                return bad("the port must be a number from 1 to 65535");
            }
            rest = &after[end..];
        }
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None => break,
        }
    }
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')) {
        return bad("unexpected character after the host (expected \":\", \"/\" or \"?\")");
    }
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if !percent_encoding_is_valid(path) {
        return bad("invalid percent-encoding in the database name");
    }
    if let Some(query) = query {
        for pair in query.split('&') {
            let mut parts = pair.split('=');
            let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
                return bad("every query parameter must be one key=value pair");
            };
            if key.is_empty() {
                return bad("a query parameter has no name");
            }
            if !percent_encoding_is_valid(key) || !percent_encoding_is_valid(value) {
                return bad("invalid percent-encoding in a query parameter");
            }
        }
    }
    Ok(())
}

/// Every `%` is followed by two hexadecimal digits.
fn percent_encoding_is_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Decodes `%XX` sequences (invalid ones are kept as written).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Shown instead of a password.
const REDACTED: &str = "[redacted]";

/// Removes every password from `text` (an error message that may quote the database URL):
/// the password of `url`'s user part and of any `password=` parameter, as written and decoded,
/// and any `scheme://user:password@` or `password=value` that `text` itself contains.
pub(crate) fn redact_secrets(text: &str, url: &str) -> String {
    let mut secrets: Vec<String> = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        // libpq's rule: the user part ends at the first '@' before any '/'.
        if let Some(i) = rest.find(['@', '/'])
            && rest.as_bytes()[i] == b'@'
            && let Some((_, password)) = rest[..i].split_once(':')
        {
            secrets.push(password.to_owned());
            secrets.push(percent_decode(password));
        }
        // A careless URL may hold an '@' further on; treat everything up to the last '@' as
        // possibly secret too.
        if let Some(at) = rest.rfind('@')
            && let Some((_, password)) = rest[..at].split_once(':')
        {
            secrets.push(password.to_owned());
            secrets.push(percent_decode(password));
        }
    }
    for (i, _) in url.match_indices("password=") {
        let value = &url[i + "password=".len()..];
        let value = &value[..value.find('&').unwrap_or(value.len())];
        secrets.push(value.to_owned());
        secrets.push(percent_decode(value));
    }
    secrets.retain(|s| !s.is_empty());
    // Longest first, so that a secret containing another is removed whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in &secrets {
        out = out.replace(secret.as_str(), REDACTED);
    }
    redact_patterns(&out)
}

/// Replaces the value of every `password=` and the password of every `://user:password@` in
/// `text`.
fn redact_patterns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("password=") {
        let start = i + "password=".len();
        out.push_str(&rest[..start]);
        let value_end = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '&' | '"' | '\'' | ','))
            .map_or(rest.len(), |j| start + j);
        if value_end > start {
            out.push_str(REDACTED);
        }
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    let text = out;
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("://") {
        let start = i + 3;
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\''))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => match authority[..at].split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(REDACTED);
                    out.push_str(&authority[at..]);
                }
                None => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The same error with every password in its text redacted (see [`redact_secrets`]).
fn redact_connection_error(cause: ConnectionError, url: &str) -> ConnectionError {
    match cause {
        ConnectionError::InvalidConnectionUrl(text) => {
            ConnectionError::InvalidConnectionUrl(redact_secrets(&text, url))
        }
        other => ConnectionError::BadConnection(redact_secrets(&other.to_string(), url)),
    }
}

/// `Some(scheme)` when `url` starts with `scheme://` (RFC 3986 scheme characters).
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme.len() <= 32)
        .then_some(scheme)
}

/// Why a connection could not be opened. The message carries the real cause (libpq's or
/// SQLite's text) because the pool reports errors as text.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not usable (see [`DatabaseSettings::validate`]).
    #[error(transparent)]
    Settings(#[from] crate::settings::InvalidDatabaseSetting),
    /// The directory that should hold the SQLite file could not be created.
    #[error("cannot create the directory {path} for the SQLite database: {cause}")]
    CreateDirectory {
        /// The directory.
        path: String,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// The database refused or could not be reached.
    #[error("cannot connect to {backend}: {cause}")]
    Establish {
        /// Which database was tried.
        backend: Backend,
        /// Diesel's error, with libpq's or SQLite's message.
        cause: ConnectionError,
    },
    /// An SQLite pragma failed (e.g. the file is not a database).
    #[error("cannot configure the SQLite connection: {cause}")]
    Pragmas {
        /// The failing statement's error.
        cause: diesel::result::Error,
    },
    /// A pooled connection no longer answers.
    #[error("the database connection no longer answers: {cause}")]
    Ping {
        /// The failing query's error.
        cause: diesel::result::Error,
    },
}

/// An r2d2 connection manager that picks the backend from the URL scheme (instead of Diesel's
/// derived `establish`, which tries each backend in turn and loses the real error), creates the
/// SQLite file's directory, sets the SQLite pragmas, and bounds PostgreSQL's connect time.
pub struct DbConnectionManager {
    target: Target,
    connect_timeout: Duration,
}

impl fmt::Debug for DbConnectionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConnectionManager")
            .field("backend", &self.target.backend())
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl DbConnectionManager {
    /// A manager for the database the settings name.
    ///
    /// # Errors
    /// [`ConnectError::Settings`] when the URL is unusable.
    pub fn new(settings: &DatabaseSettings) -> Result<Self, ConnectError> {
        Ok(DbConnectionManager {
            target: settings.target()?,
            connect_timeout: settings.connect_timeout(),
        })
    }

    /// Which backend this manager connects to.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.target.backend()
    }

    /// Opens one connection directly (outside any pool).
    ///
    /// # Errors
    /// The real cause: unreachable server, refused credentials, unwritable directory, …
    pub fn establish(&self) -> Result<DbConnection, ConnectError> {
        match &self.target {
            Target::Sqlite(path) => {
                create_parent_directory(path)?;
                let mut conn =
                    SqliteConnection::establish(path).map_err(|cause| ConnectError::Establish {
                        backend: Backend::Sqlite,
                        cause,
                    })?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(|cause| ConnectError::Pragmas { cause })?;
                Ok(DbConnection::Sqlite(conn))
            }
            Target::Postgres(url) => {
                let url = with_connect_timeout(url, self.connect_timeout);
                // libpq's messages may quote the URI, password included.
                PgConnection::establish(&url)
                    .map(DbConnection::Pg)
                    .map_err(|cause| ConnectError::Establish {
                        backend: Backend::Postgres,
                        cause: redact_connection_error(cause, &url),
                    })
            }
        }
    }
}

/// How long a PostgreSQL connection that was last given back without an error is trusted without
/// a test query when it is checked out again. Under load every checkout finds a connection used
/// moments ago, and testing it was one more round trip per request (a third of an invoice read);
/// a connection that sat idle longer, or whose last use failed, is tested first, so a restarted
/// or unreachable server is still noticed before a request uses the connection.
pub const TRUSTED_IDLE: Duration = Duration::from_secs(1);

/// A connection as the pool keeps it: the [`DbConnection`] (which it dereferences to) and what
/// the pool needs to decide whether to test it before handing it out again.
pub struct PoolConnection {
    conn: DbConnection,
    given_back: Instant,
    suspect: bool,
}

impl PoolConnection {
    /// Marks the connection to be tested before its next use: call it when work on it failed,
    /// since the failure may have been the connection itself (a server gone away).
    pub fn mark_suspect(&mut self) {
        self.suspect = true;
    }

    /// Whether the next checkout must test this connection first. SQLite's connections are a
    /// file handle in this process and cannot be closed from outside, so only a suspect one is
    /// tested; PostgreSQL's also when idle for longer than [`TRUSTED_IDLE`].
    fn needs_test(&self) -> bool {
        self.suspect
            || match self.conn {
                DbConnection::Sqlite(_) => false,
                DbConnection::Pg(_) => self.given_back.elapsed() > TRUSTED_IDLE,
            }
    }
}

impl std::ops::Deref for PoolConnection {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl fmt::Debug for PoolConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolConnection")
            .field("conn", &self.conn)
            .field("suspect", &self.suspect)
            .finish_non_exhaustive()
    }
}

impl r2d2::ManageConnection for DbConnectionManager {
    type Connection = PoolConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<PoolConnection, ConnectError> {
        Ok(PoolConnection {
            conn: self.establish()?,
            given_back: Instant::now(),
            suspect: false,
        })
    }

    fn is_valid(&self, conn: &mut PoolConnection) -> Result<(), ConnectError> {
        if conn.needs_test() {
            conn.conn
                .ping()
                .map_err(|cause| ConnectError::Ping { cause })?;
            conn.suspect = false;
        }
        Ok(())
    }

    fn has_broken(&self, conn: &mut PoolConnection) -> bool {
        // Called each time a connection is given back.
        conn.given_back = Instant::now();
        // A panic inside a transaction, or a transaction left open, makes the connection unusable.
        std::thread::panicking() || R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// Creates the directory of an SQLite file path (not of a `file:` URI).
fn create_parent_directory(path: &str) -> Result<(), ConnectError> {
    if path.starts_with("file:") {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|cause| ConnectError::CreateDirectory {
                path: dir.display().to_string(),
                cause,
            })
        }
        _ => Ok(()),
    }
}

/// Adds libpq's `connect_timeout` (whole seconds, at least 2) unless the URL sets one.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let secs = timeout.as_secs().max(2);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}connect_timeout={secs}")
}

/// The connection pool.
pub type Pool = r2d2::Pool<DbConnectionManager>;
/// A connection checked out of the [`Pool`]; it dereferences to [`DbConnection`].
pub type PooledConnection = r2d2::PooledConnection<DbConnectionManager>;

/// Builds the pool for `settings`: validates them, opens one connection first so that a wrong
/// URL or an unreachable server is reported at once with its real cause, then builds the pool
/// (SQLite: 8 connections by default, PostgreSQL: 10) with the configured connection timeout.
///
/// It does not run migrations; see [`crate::run_migrations`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let url = format!("sqlite://{}/nested/app.sqlite3", dir.path().display());
/// let pool = wetech_persistence::connect(&wetech_persistence::DatabaseSettings::new(url))?;
/// let mut conn = pool.get()?;
/// assert_eq!(conn.backend(), wetech_persistence::Backend::Sqlite);
/// wetech_persistence::run_migrations(&mut conn)?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`PersistenceError::Settings`], [`PersistenceError::Connection`] (with the cause), or
/// [`PersistenceError::Pool`].
pub fn connect(settings: &DatabaseSettings) -> Result<Pool, PersistenceError> {
    settings.validate()?;
    let manager = DbConnectionManager::new(settings).map_err(PersistenceError::Connection)?;
    let backend = manager.backend();
    let probe = manager.establish().map_err(PersistenceError::Connection)?;
    drop(probe);
    let pool = r2d2::Pool::builder()
        .max_size(settings.effective_pool_size())
        .min_idle(Some(1))
        .connection_timeout(settings.connect_timeout())
        .build(manager)
        .map_err(PersistenceError::Pool)?;
    tracing::debug!(
        %backend,
        pool_size = settings.effective_pool_size(),
        "database pool ready"
    );
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(url: &str) -> String {
        match Target::parse(url).unwrap() {
            Target::Sqlite(p) => p,
            Target::Postgres(_) => panic!("{url} parsed as PostgreSQL"),
        }
    }

    #[test]
    fn scheme_decides_the_backend() {
        assert_eq!(
            sqlite("sqlite://data/wetech.sqlite3"),
            "data/wetech.sqlite3"
        );
        assert_eq!(sqlite("sqlite:///var/lib/w.db"), "/var/lib/w.db");
        assert_eq!(sqlite("sqlite:rel.db"), "rel.db");
        assert_eq!(sqlite("SQLite:rel.db"), "rel.db");
        assert_eq!(sqlite("/abs/w.db"), "/abs/w.db");
        assert_eq!(sqlite("w.db"), "w.db");
        assert_eq!(sqlite("file:/abs/w.db"), "file:/abs/w.db");
        for pg in [
            "postgres://u:p@h:5432/db",
            "postgresql://h/db?sslmode=require",
            "PostgreSQL://h/db",
        ] {
            assert!(matches!(Target::parse(pg), Ok(Target::Postgres(u)) if u == pg));
        }
        assert!(Target::parse("mysql://h/db").unwrap_err().contains("mysql"));
        assert!(Target::parse("").is_err());
        assert!(Target::parse("sqlite:").is_err());
        assert!(Target::parse("file::memory:?cache=shared").is_err());
    }

    #[test]
    fn connect_timeout_is_added_once() {
        let t = Duration::from_secs(5);
        assert_eq!(
            with_connect_timeout("postgres://h/db", t),
            "postgres://h/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=disable", t),
            "postgres://h/db?sslmode=disable&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=9", t),
            "postgres://h/db?connect_timeout=9"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db", Duration::from_secs(1)),
            "postgres://h/db?connect_timeout=2"
        );
    }

    const PASSWORD: &str = "sekret1";

    #[test]
    fn malformed_postgres_urls_are_refused_without_their_password() {
        for bad in [
            "postgres://u:sekret1@[bad/db",
            "postgres://u:sekret1@[]/db",
            "postgres://u:sekret1@h:port/db",
            "postgres://u:sekret1@h:99999/db",
            "postgresql://u:sekret1@h:5432x/db",
            "postgres://u:sekret1@[::1]x/db",
            "postgres://u:sek%zzret1@h/db",
            "postgres://u:sekret1@h/d%b",
            "postgres://u:sekret1@h/db?sslmode",
            "postgres://u:sekret1@h/db?a=b=c",
            "postgres://u:sekret1@h/db?=x",
            "postgres://u:sekret1@h /db",
            "postgres://u:sekret1@h/db?password=sekret1&x",
        ] {
            let e = Target::parse(bad).expect_err(bad);
            assert!(!e.contains(PASSWORD), "{bad}: {e}");
            let e = crate::DatabaseSettings::new(bad).validate().expect_err(bad);
            assert_eq!(e.key, "database.url");
            assert!(!e.to_string().contains(PASSWORD), "{bad}: {e}");
        }
        for good in [
            "postgres://u:sekret1@h/db",
            "postgres://u:sek%40ret1@h:5432/db?sslmode=disable&connect_timeout=3",
            "postgres://h1:5432,h2:5433/db",
            "postgres://[::1]:5432/db",
            "postgres:///db?host=/var/run/postgresql",
            "postgres://u@h",
        ] {
            assert!(Target::parse(good).is_ok(), "{good} refused");
        }
    }

    #[test]
    fn redaction_removes_every_form_of_the_password() {
        let url = "postgres://u:sek%21ret1@[bad/db?password=other-secret&connect_timeout=5";
        let libpq = format!(
            "missing \"]\" in IPv6 host address in URI: \"{url}\" password=sek!ret1 sek%21ret1 \
             postgresql://x:plain-secret@h/db password=third-secret"
        );
        let shown = redact_secrets(&libpq, url);
        for secret in [
            "sek%21ret1",
            "sek!ret1",
            "other-secret",
            "plain-secret",
            "third-secret",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("IPv6 host address"), "{shown}");
    }

    fn establish_error(url: &str) -> String {
        let manager = DbConnectionManager {
            target: Target::Postgres(url.to_owned()),
            connect_timeout: Duration::from_secs(2),
        };
        match manager.establish() {
            Ok(_) => panic!("{url} connected"),
            Err(e) => {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    text.push_str(&s.to_string());
                    source = s.source();
                }
                text
            }
        }
    }

    #[test]
    fn connection_errors_never_contain_the_password() {
        // Passed to libpq as they are (Target::parse would refuse the malformed ones), so that
        // libpq's own messages, which quote the URI, are what is checked.
        for url in [
            "postgres://u:sekret1@[bad/db",
            "postgres://u:sekret1@h:port/db",
            "postgres://u:sek%00ret1@127.0.0.1:1/db",
            "postgres://u:sekret1@127.0.0.1:1/db",
            "postgres://u:sekret1@127.0.0.1:1/db?sslmode=bogus",
            "postgres://u@127.0.0.1:1/db?password=sekret1",
            "postgres://u:sekret1@127.0.0.1:1/db?nosuchoption=1",
        ] {
            let text = establish_error(url);
            assert!(!text.contains("sekret1"), "{url}: {text}");
            assert!(!text.contains("sek%00ret1"), "{url}: {text}");
            assert!(text.contains("PostgreSQL"), "{url}: {text}");
        }
    }
}
