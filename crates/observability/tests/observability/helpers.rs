//! Capturing everything one subscriber writes: the sink and both files.

use serde_json::Value;
use tempfile::TempDir;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use wetech_observability::{APP_LOG, ERRORS_LOG, LogGuard, LogSettings, MemorySink};

/// The bunyan `name` used by the tests.
pub const NAME: &str = "wetech-test";

/// A subscriber writing to memory and to a temporary log directory. The filter is explicit so a
/// developer's `RUST_LOG` cannot change what the tests see.
pub struct Capture {
    pub dir: TempDir,
    sink: MemorySink,
    guard: Option<LogGuard>,
}

impl Capture {
    pub fn new(filter: &str) -> (Capture, impl Subscriber + Send + Sync + 'static) {
        let dir = tempfile::tempdir().unwrap();
        let settings = LogSettings {
            dir: dir.path().to_path_buf(),
            level: "info".to_owned(),
            ..LogSettings::default()
        };
        let sink = MemorySink::new();
        let (subscriber, guard) = wetech_observability::subscriber_with_filter(
            NAME,
            &settings,
            EnvFilter::new(filter),
            sink.clone(),
        )
        .unwrap();
        (
            Capture {
                dir,
                sink,
                guard: Some(guard),
            },
            subscriber,
        )
    }

    /// Flushes the writers; must be called before reading.
    pub fn finish(mut self) -> Captured {
        drop(self.guard.take());
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap();
        Captured {
            sink: self.sink.contents(),
            app: read(APP_LOG),
            errors: read(ERRORS_LOG),
        }
    }
}

/// The raw text of the three outputs.
pub struct Captured {
    pub sink: String,
    pub app: String,
    pub errors: String,
}

impl Captured {
    pub fn all(&self) -> [(&'static str, &str); 3] {
        [
            ("sink", &self.sink),
            ("app.log", &self.app),
            ("errors.log", &self.errors),
        ]
    }
}

/// Every line parsed as a JSON object (panics on a line that is not one).
pub fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(value.is_object(), "not an object: {line}");
            value
        })
        .collect()
}

/// Lines whose `msg` ends with `msg` (bunyan prefixes events inside a span with the span name).
pub fn with_msg<'a>(lines: &'a [Value], msg: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["msg"].as_str().is_some_and(|m| m.ends_with(msg)))
        .collect()
}
