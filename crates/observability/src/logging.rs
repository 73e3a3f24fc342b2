//! The tracing subscriber: bunyan JSON lines to a caller-given sink and to two daily-rotated files.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::{Level, Metadata, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_bunyan_formatter::{BunyanFormattingLayer, JsonStorageLayer};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::rolling::{DailyFile, utc_today};
use crate::settings::{LogSettings, SettingsError};

/// Live name of the file that receives INFO and above.
pub const APP_LOG: &str = "app.log";
/// Live name of the file that receives ERROR only.
pub const ERRORS_LOG: &str = "errors.log";
/// The environment variable that overrides `log.level`.
pub const RUST_LOG: &str = "RUST_LOG";
/// The environment variable that makes [`test_sink`] print to stdout.
pub const TEST_LOG: &str = "TEST_LOG";

/// Why logging could not be set up. The message names the setting or the path at fault.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// `log.level` is invalid.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// `RUST_LOG` is set but does not parse as `EnvFilter` directives.
    #[error("RUST_LOG: `{value}` is not a valid filter: {reason}")]
    InvalidRustLog {
        /// The value (truncated to 200 characters).
        value: String,
        /// The parser's complaint.
        reason: String,
    },
    /// `log.dir` could not be created, or a log file in it could not be opened.
    #[error("log.dir: cannot open {}: {source}", path.display())]
    LogFile {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A global subscriber (or `log` logger) is already installed.
    #[error("logging is already initialised: {0}")]
    AlreadyInstalled(String),
}

/// Keeps the background writer threads alive; dropping it flushes every buffered line to the
/// sink and the files (waiting up to about a second per writer).
///
/// Keep it in `main` until the server has stopped, then drop it (or let it go out of scope).
#[must_use = "dropping the guard stops the log writers; keep it until shutdown"]
pub struct LogGuard {
    // Dropped in order: sink, app.log, errors.log.
    _workers: [WorkerGuard; 3],
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogGuard")
    }
}

/// The filter in effect: `RUST_LOG` when it is set and not empty, else `log.level`.
///
/// # Errors
/// [`InitError::InvalidRustLog`] or [`InitError::Settings`].
pub fn env_filter(settings: &LogSettings) -> Result<EnvFilter, InitError> {
    match std::env::var(RUST_LOG) {
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::builder()
                .parse(value.trim())
                .map_err(|e| InitError::InvalidRustLog {
                    value: value.chars().take(200).collect(),
                    reason: e.to_string(),
                })
        }
        _ => Ok(settings.filter()?),
    }
}

/// Builds the subscriber with the filter from [`env_filter`] without installing it.
///
/// The lines written while the returned guard lives are flushed when it is dropped, so a test
/// drops the guard before reading what was captured.
///
/// ```
/// use wetech_observability::{LogSettings, MemorySink, subscriber};
///
/// let dir = tempfile::tempdir()?;
/// let settings = LogSettings { dir: dir.path().to_path_buf(), ..LogSettings::default() };
/// let sink = MemorySink::new();
/// let (subscriber, guard) = subscriber("doc", &settings, sink.clone())?;
/// tracing::subscriber::with_default(subscriber, || tracing::error!(code = 7, "boom"));
/// drop(guard);
/// assert!(sink.contents().contains(r#""msg":"boom""#));
/// assert!(std::fs::read_to_string(dir.path().join("errors.log"))?.contains(r#""code":7"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// See [`InitError`].
pub fn subscriber<W>(
    name: &str,
    settings: &LogSettings,
    sink: W,
) -> Result<(impl Subscriber + Send + Sync + use<W>, LogGuard), InitError>
where
    W: Write + Send + 'static,
{
    subscriber_with_filter(name, settings, env_filter(settings)?, sink)
}

/// Like [`subscriber`] with an explicit filter (`RUST_LOG` and `log.level` are ignored).
///
/// Every line is a bunyan record (`v`, `name`, `msg`, `level`, `hostname`, `pid`, `time`, plus the
/// fields of the event and of its span). `filter` decides what is recorded at all; on top of it
/// `app.log` keeps INFO and above and `errors.log` keeps ERROR only (span end lines are written
/// at the span's level, so they reach `errors.log` only for ERROR spans; span start lines are
/// left out everywhere). Events in
/// `errors.log` still carry the fields of the INFO spans around them, e.g. `request_id`.
///
/// The sink is written through a lossy non-blocking writer (if it stalls for more than 128 000
/// lines, lines are dropped rather than stalling requests); the files through non-lossy ones.
///
/// # Errors
/// [`InitError::LogFile`] when `settings.dir` cannot be created or the files cannot be opened.
pub fn subscriber_with_filter<W>(
    name: &str,
    settings: &LogSettings,
    filter: EnvFilter,
    sink: W,
) -> Result<(impl Subscriber + Send + Sync + use<W>, LogGuard), InitError>
where
    W: Write + Send + 'static,
{
    let dir = &settings.dir;
    std::fs::create_dir_all(dir).map_err(|source| InitError::LogFile {
        path: dir.clone(),
        source,
    })?;
    let open = |file: &str| {
        DailyFile::open(dir, file, Box::new(utc_today), settings.keep_days).map_err(|source| {
            InitError::LogFile {
                path: dir.join(file),
                source,
            }
        })
    };
    let app_file = open(APP_LOG)?;
    let errors_file = open(ERRORS_LOG)?;

    let (sink, sink_guard) = NonBlockingBuilder::default()
        .lossy(true)
        .thread_name("log-sink")
        .finish(sink);
    let (app, app_guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-app-file")
        .finish(app_file);
    let (errors, errors_guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-errors-file")
        .finish(errors_file);

    let name = name.to_owned();
    // The per-layer filters keep every span visible (so events carry their spans' fields) and
    // drop events below the file's level; the writer filters drop span start/end lines below it.
    // Span start lines are left out everywhere: the end line of a span carries the same fields
    // plus what was recorded meanwhile (a request's `status` and `duration_ms`) and its
    // `elapsed_milliseconds`, so each request has one access line, the END line.
    let sink = WithoutSpanStarts(sink);
    let app = WithoutSpanStarts(app);
    let errors = WithoutSpanStarts(errors);
    let app_layer = BunyanFormattingLayer::new(name.clone(), app.with_max_level(Level::INFO))
        .with_filter(filter_fn(|m: &Metadata<'_>| {
            m.is_span() || *m.level() <= Level::INFO
        }));
    let errors_layer =
        BunyanFormattingLayer::new(name.clone(), errors.with_max_level(Level::ERROR)).with_filter(
            filter_fn(|m: &Metadata<'_>| m.is_span() || *m.level() <= Level::ERROR),
        );
    let subscriber = Registry::default()
        .with(filter)
        .with(JsonStorageLayer)
        .with(BunyanFormattingLayer::new(name, sink))
        .with(app_layer)
        .with(errors_layer);

    Ok((
        subscriber,
        LogGuard {
            _workers: [sink_guard, app_guard, errors_guard],
        },
    ))
}

/// Installs the global subscriber (see [`subscriber`]) and routes `log` records into it.
///
/// `name` becomes the bunyan `name` field (e.g. `"wetech-web"`). The binaries pass
/// `std::io::stdout()` as the sink (a CLI whose stdout is its output passes `std::io::stderr()`).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let settings = wetech_observability::LogSettings::default();
/// let _log_guard = wetech_observability::init("wetech-web", &settings, std::io::stdout())?;
/// // … run the server; `_log_guard` is dropped at the end of main and flushes the logs.
/// # Ok(()) }
/// ```
///
/// # Errors
/// See [`InitError`]; [`InitError::AlreadyInstalled`] when called twice.
pub fn init<W>(name: &str, settings: &LogSettings, sink: W) -> Result<LogGuard, InitError>
where
    W: Write + Send + 'static,
{
    let (subscriber, guard) = subscriber(name, settings, sink)?;
    subscriber
        .try_init()
        .map_err(|e| InitError::AlreadyInstalled(e.to_string()))?;
    Ok(guard)
}

static TRY_INIT_GUARD: Mutex<Option<LogGuard>> = Mutex::new(None);

/// [`init`] for test harnesses: may be called any number of times from any thread; the first
/// successful call installs the subscriber and the later ones do nothing. Returns whether this
/// call installed it.
///
/// The guard is kept for the life of the process (statics are never dropped), so the last few
/// lines a test process writes may not reach the files; tests that read the log files should
/// use [`subscriber`] and drop its guard instead.
///
/// ```
/// use wetech_observability::{LogSettings, test_sink, try_init};
/// let dir = tempfile::tempdir()?;
/// let settings = LogSettings { dir: dir.path().to_path_buf(), ..LogSettings::default() };
/// try_init("doc", &settings, test_sink())?;
/// assert!(!try_init("doc", &settings, test_sink())?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`init`], except that an already installed subscriber is not an error.
pub fn try_init<W>(name: &str, settings: &LogSettings, sink: W) -> Result<bool, InitError>
where
    W: Write + Send + 'static,
{
    let mut slot = TRY_INIT_GUARD
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if slot.is_some() {
        return Ok(false);
    }
    match init(name, settings, sink) {
        Ok(guard) => {
            *slot = Some(guard);
            Ok(true)
        }
        Err(InitError::AlreadyInstalled(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

/// The sink for tests, Zero-to-Production style: stdout when the `TEST_LOG` environment variable
/// is set (to anything), else a sink that discards everything.
#[must_use]
pub fn test_sink() -> Box<dyn Write + Send> {
    if std::env::var_os(TEST_LOG).is_some() {
        Box::new(io::stdout())
    } else {
        Box::new(io::sink())
    }
}

/// An in-memory sink whose clones share one buffer: pass a clone to [`subscriber`], read the
/// other after dropping the [`LogGuard`].
#[derive(Clone, Default)]
pub struct MemorySink(Arc<Mutex<Vec<u8>>>);

impl std::fmt::Debug for MemorySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemorySink")
    }
}

impl MemorySink {
    /// An empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, lossily decoded as UTF-8.
    #[must_use]
    pub fn contents(&self) -> String {
        let buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

impl Write for MemorySink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer factory that drops bunyan's span start lines (`"msg":"[NAME - START]"`): each record
/// reaches the writer as one `write_all` of one line, which is either passed on whole or dropped.
#[derive(Debug, Clone)]
struct WithoutSpanStarts<M>(M);

/// The writer [`WithoutSpanStarts`] makes.
#[derive(Debug)]
struct SkipStarts<W>(W);

impl<W: Write> Write for SkipStarts<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if is_span_start(buf) {
            return Ok(buf.len());
        }
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<'a, M> tracing_subscriber::fmt::MakeWriter<'a> for WithoutSpanStarts<M>
where
    M: tracing_subscriber::fmt::MakeWriter<'a>,
{
    type Writer = SkipStarts<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        SkipStarts(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        SkipStarts(self.0.make_writer_for(meta))
    }
}

/// Whether a serialized bunyan record is a span's start line.
fn is_span_start(record: &[u8]) -> bool {
    const MARK: &[u8] = b" - START]\",";
    record.windows(MARK.len()).any(|w| w == MARK)
}
