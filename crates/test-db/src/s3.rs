//! A throwaway S3-compatible server for tests: `moto` in server mode (PyPI's `moto[server]`),
//! on a free loopback port, with signature checking on and one bucket.
//!
//! The Python interpreter that has moto is `$WETECH_TEST_MOTO_PYTHON`, else the virtualenv
//! `.ci/run` installs (`$XDG_CACHE_HOME/wetech-moto`, default `~/.cache/wetech-moto`), else
//! `python3` on `PATH`. When none of them has moto, [`TestS3::start`] prints a loud notice and
//! returns `None` (the test is skipped), except under `CI=true`, where it panics.
//!
//! At start an IAM user with an `s3:*` policy and an access key are created while moto still
//! accepts unsigned calls; then moto is switched to checking every request's signature, so a
//! wrong secret key is refused as a real service refuses it. The server runs under a watchdog
//! shell whose stdin only this process holds: when the test process ends, however it ends, the
//! watchdog sees end-of-file and kills moto (moto keeps everything in memory, so nothing is
//! left behind).
//!
//! [`CutProxy`] stands between a client and the server and cuts every connection, and refuses
//! new ones, once a given number of bytes has gone through: to the client, the server has gone
//! away in the middle of an upload, while the test can still ask the server what it kept.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variable naming the Python interpreter that has moto.
pub const MOTO_PYTHON_ENV: &str = "WETECH_TEST_MOTO_PYTHON";

/// The bucket every [`TestS3`] has.
pub const TEST_BUCKET: &str = "wetech-test";

/// Creates the IAM user, its policy and key and the bucket, then turns signature checks on.
/// Prints `ACCESS_KEY_ID SECRET_ACCESS_KEY`.
const SETUP: &str = r#"
import json, sys, time, urllib.request
import boto3
endpoint, bucket = sys.argv[1], sys.argv[2]
for _ in range(200):
    try:
        urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
        break
    except Exception:
        time.sleep(0.05)
anon = dict(endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="unchecked")
iam = boto3.client("iam", **anon)
iam.create_user(UserName="wetech")
iam.put_user_policy(UserName="wetech", PolicyName="backups", PolicyDocument=json.dumps(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="wetech")["AccessKey"]
boto3.client("s3", **anon).create_bucket(Bucket=bucket)
urllib.request.urlopen(urllib.request.Request(
    endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
    headers={"Content-Type": "text/plain"})).read()
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;

/// One S3 call with the test's key: `list` (keys under a prefix, one a line), `get KEY` (the
/// bytes on stdout; exit 3 when absent), `put KEY` (stdin), `uploads` (keys of multipart
/// uploads that were neither completed nor aborted).
const CLIENT: &str = r#"
import sys
import boto3
endpoint, bucket, key_id, secret, op = sys.argv[1:6]
arg = sys.argv[6] if len(sys.argv) > 6 else ""
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key_id, aws_secret_access_key=secret)
if op == "list":
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=arg):
        for o in page.get("Contents", []):
            print(o["Key"])
elif op == "get":
    try:
        sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=arg)["Body"].read())
    except s3.exceptions.NoSuchKey:
        sys.exit(3)
elif op == "put":
    s3.put_object(Bucket=bucket, Key=arg, Body=sys.stdin.buffer.read())
elif op == "uploads":
    for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        print(u["Key"])
"#;

/// Runs moto's server on the port given. moto checks a signature by signing the request again
/// with botocore, from the query string as its web framework hands it over — with `%2F`
/// already decoded to `/` — so every signed listing with a prefix (`prefix=a%2F`) would be
/// refused. Real S3 encodes each query key and value before signing; the canonical query string
/// is made the same way here, and nothing else is changed.
const SERVER: &str = r#"
import sys
from urllib.parse import quote, unquote
from botocore.auth import SigV4Auth

def canonical_query_string_url(self, parts):
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        key, _, value = pair.partition("=")
        pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))

SigV4Auth._canonical_query_string_url = canonical_query_string_url
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"#;

/// Kills the server once the test process has gone (stdin EOF).
const WATCHDOG: &str = r#"
"$0" -c "$3" "$1" >"$2" 2>&1 </dev/null &
pid=$!
cat >/dev/null 2>&1
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"#;

/// A running moto server with one bucket and a key allowed to use it.
pub struct TestS3 {
    python: PathBuf,
    port: u16,
    access_key_id: String,
    secret_access_key: String,
    watchdog: Mutex<Option<Child>>,
    _log_dir: tempfile::TempDir,
}

impl TestS3 {
    /// Starts a server, or `None` (with a loud notice) when moto is not installed; under
    /// `CI=true` a missing moto panics.
    ///
    /// # Panics
    /// Under `CI=true` without moto, or when the server does not come up.
    #[must_use]
    pub fn start() -> Option<TestS3> {
        let Some(python) = find_python() else {
            let message = format!(
                "moto (an S3-compatible test server from PyPI) is not installed: \
                 `python3 -m venv ~/.cache/wetech-moto && ~/.cache/wetech-moto/bin/pip install \
                 'moto[server]'` (as .ci/run does), or set {MOTO_PYTHON_ENV}"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}");
            }
            eprintln!("\n!!! SKIPPED: {message}\n");
            return None;
        };
        Some(TestS3::start_with(python))
    }

    fn start_with(python: PathBuf) -> TestS3 {
        let log_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let log = log_dir.path().join("moto.log");
        let port = free_port();
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg(&python)
            .arg(port.to_string())
            .arg(&log)
            .arg(SERVER)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto: {e}"));
        let endpoint = format!("http://127.0.0.1:{port}");
        let out = Command::new(&python)
            .args(["-c", SETUP, &endpoint, TEST_BUCKET])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut words = stdout.split_whitespace();
        let (Some(id), Some(secret), true) = (words.next(), words.next(), out.status.success())
        else {
            panic!(
                "moto did not come up: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        TestS3 {
            access_key_id: id.to_owned(),
            secret_access_key: secret.to_owned(),
            python,
            port,
            watchdog: Mutex::new(Some(watchdog)),
            _log_dir: log_dir,
        }
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The access key's id.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The access key's secret.
    #[must_use]
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The keys of every object under `prefix`, sorted.
    ///
    /// # Panics
    /// When the call fails.
    #[must_use]
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let out = self.client("list", prefix, None);
        let mut keys: Vec<String> = String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    }

    /// The bytes of `key`, or `None` when there is no such object.
    ///
    /// # Panics
    /// When the call fails otherwise.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let out = self.run("get", key, None);
        match out.status.code() {
            Some(0) => Some(out.stdout),
            Some(3) => None,
            _ => panic!("get {key}: {}", String::from_utf8_lossy(&out.stderr)),
        }
    }

    /// Stores `bytes` as `key`.
    ///
    /// # Panics
    /// When the call fails.
    pub fn put(&self, key: &str, bytes: &[u8]) {
        self.client("put", key, Some(bytes));
    }

    /// The keys of multipart uploads begun and neither completed nor aborted.
    ///
    /// # Panics
    /// When the call fails.
    #[must_use]
    pub fn open_uploads(&self) -> Vec<String> {
        let out = self.client("uploads", "", None);
        String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Stops the server now (dropping it does the same).
    pub fn stop(&self) {
        let mut guard = self
            .watchdog
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(mut child) = guard.take() {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }

    fn client(&self, op: &str, arg: &str, input: Option<&[u8]>) -> Vec<u8> {
        let out = self.run(op, arg, input);
        assert!(
            out.status.success(),
            "S3 {op} {arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn run(&self, op: &str, arg: &str, input: Option<&[u8]>) -> std::process::Output {
        let mut child = Command::new(&self.python)
            .args(["-c", CLIENT, &self.endpoint(), TEST_BUCKET])
            .args([&self.access_key_id, &self.secret_access_key, op, arg])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.python.display()));
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.unwrap_or_default())
                .unwrap_or_else(|e| panic!("S3 {op}: {e}"));
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("S3 {op}: {e}"))
    }
}

impl Drop for TestS3 {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The interpreter that can import moto's server, if any.
fn find_python() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    let candidates = std::env::var_os(MOTO_PYTHON_ENV)
        .map(PathBuf::from)
        .into_iter()
        .chain(cache.map(|c| c.join("wetech-moto/bin/python")))
        .chain([PathBuf::from("python3")]);
    for python in candidates {
        let has_moto = Command::new(&python)
            .args(["-c", "import moto.server, boto3, flask"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if has_moto {
            return Some(python);
        }
    }
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A TCP proxy to a local port that cuts every connection, and refuses new ones, once more
/// than `cut_after` bytes have gone from clients to the server.
pub struct CutProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
}

impl CutProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:upstream`.
    ///
    /// # Panics
    /// When it cannot listen.
    #[must_use]
    pub fn start(upstream: u16, cut_after: u64) -> CutProxy {
        let listener =
            TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("proxy listen: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy address: {e}"))
            .port();
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("proxy: {e}"));
        let cut = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (cut2, sent2) = (Arc::clone(&cut), Arc::clone(&sent));
        std::thread::spawn(move || {
            // The listener is dropped (new connections refused) once the cut has happened.
            let deadline = Instant::now() + Duration::from_secs(600);
            while !cut2.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        if let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) {
                            forward(client, server, &open, &cut2, &sent2, cut_after);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        CutProxy { port, cut, sent }
    }

    /// The proxy's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the connections have been cut.
    #[must_use]
    pub fn has_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }

    /// Bytes forwarded from clients to the server.
    #[must_use]
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

fn forward(
    client: TcpStream,
    server: TcpStream,
    open: &Arc<Mutex<Vec<TcpStream>>>,
    cut: &Arc<AtomicBool>,
    sent: &Arc<AtomicU64>,
    cut_after: u64,
) {
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    if let (Ok(c3), Ok(s3)) = (client.try_clone(), server.try_clone()) {
        let mut all = open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.push(c3);
        all.push(s3);
    }
    let (open, cut, sent) = (Arc::clone(open), Arc::clone(cut), Arc::clone(sent));
    // Client to server, counted.
    std::thread::spawn(move || {
        let (mut from, mut to) = (client, server);
        let mut buf = vec![0_u8; 64 << 10];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let total = sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            if total > cut_after || cut.load(Ordering::SeqCst) {
                cut.store(true, Ordering::SeqCst);
                for s in open
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .iter()
                {
                    let _ = s.shutdown(Shutdown::Both);
                }
                break;
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
    // Server to client.
    std::thread::spawn(move || {
        let (mut from, mut to) = (s2, c2);
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
}
