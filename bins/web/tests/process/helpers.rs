//! Starting, stopping and reading the real `web` binary.

use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// How long the binary may take to start listening, or to exit.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(30);

/// The `web` binary in `dir` with only `env` as its configuration: every `WETECH*` variable,
/// `RUST_LOG` and `NOTIFY_SOCKET` of the test's own environment are removed, the port is 0 unless `env` says otherwise.
pub fn command(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_web"));
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("WETECH") || key == "RUST_LOG" || key == "NOTIFY_SOCKET" {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.env("WETECH__SERVER__PORT", "0");
    // Parallel servers cannot share the default metrics port 9464.
    cmd.env("WETECH__OBSERVABILITY__METRICS_ADDR", "127.0.0.1:0");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd
}

/// Runs the binary until it exits (it must, within 30 s).
pub async fn run_to_exit(dir: &Path, env: &[(&str, &str)]) -> Output {
    tokio::time::timeout(PROCESS_TIMEOUT, command(dir, env).output())
        .await
        .expect("the web binary did not exit")
        .expect("cannot run the web binary")
}

/// A running `web` process.
pub struct Web {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A client with a cookie store that does not follow redirects.
    pub client: reqwest::Client,
    stdout: Arc<Mutex<Vec<String>>>,
    stdout_task: JoinHandle<()>,
    stderr_task: JoinHandle<String>,
}

/// What a stopped process left behind.
pub struct Stopped {
    /// Its exit status.
    pub status: ExitStatus,
    /// Every line it wrote to stdout.
    pub stdout: Vec<String>,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl Web {
    /// Starts the binary in `dir` and waits for its "listening" line.
    pub async fn start(dir: &Path, env: &[(&str, &str)]) -> Web {
        let mut child = command(dir, env)
            .spawn()
            .expect("cannot start the web binary");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let shared = lines.clone();
        let stdout_task = tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                shared.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let stderr_task = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        let listening = tokio::time::timeout(PROCESS_TIMEOUT, async {
            while let Some(line) = rx.recv().await {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && v["msg"] == "listening"
                {
                    return v["address"].as_str().map(str::to_owned);
                }
            }
            None
        })
        .await;
        let address = match listening {
            Ok(Some(address)) => address,
            other => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                let err = stderr_task.await.unwrap_or_default();
                let out = lines.lock().unwrap().join("\n");
                panic!(
                    "web never logged a listening address ({other:?})\nstdout:\n{out}\nstderr:\n{err}"
                );
            }
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Web {
            child,
            address: format!("http://{address}"),
            client,
            stdout: lines,
            stdout_task,
            stderr_task,
        }
    }

    /// The process id.
    pub fn pid(&self) -> nix::unistd::Pid {
        let id = self.child.id().expect("still running");
        nix::unistd::Pid::from_raw(i32::try_from(id).unwrap())
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        nix::sys::signal::kill(self.pid(), nix::sys::signal::Signal::SIGTERM).unwrap();
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(self) -> Stopped {
        self.sigterm();
        self.wait().await
    }

    /// Waits for the process to exit (30 s at most) and collects its output.
    pub async fn wait(mut self) -> Stopped {
        let status = tokio::time::timeout(PROCESS_TIMEOUT, self.child.wait())
            .await
            .expect("web did not exit within 30 s")
            .unwrap();
        self.stdout_task.await.unwrap();
        let stderr = self.stderr_task.await.unwrap();
        let stdout = std::mem::take(&mut *self.stdout.lock().unwrap());
        Stopped {
            status,
            stdout,
            stderr,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Polls the invoice until its status is `status`.
    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..200 {
            last = self
                .get(&format!("/api/v1/invoices/{id}"))
                .await
                .json()
                .await
                .unwrap();
            if last["status"] == status {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("invoice {id} never became {status}: {last}");
    }
}

/// The lines of a log file, each parsed as JSON (every line must be a bunyan record).
pub fn log_records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    records(text.lines(), &path.display().to_string())
}

/// Parses lines as bunyan JSON records, failing on any line that is not one.
pub fn records<'a>(lines: impl IntoIterator<Item = &'a str>, what: &str) -> Vec<Value> {
    lines
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{what}: not a JSON line ({e}): {line}"));
            for key in ["v", "name", "msg", "level", "hostname", "pid", "time"] {
                assert!(
                    v.get(key).is_some(),
                    "{what}: bunyan field {key} missing: {line}"
                );
            }
            v
        })
        .collect()
}
