//! Dev-only: a real SMTP server on 127.0.0.1 for the tests (plain, STARTTLS or implicit TLS with
//! a CA and a certificate made at start), recording every message it accepts. It can refuse
//! chosen recipients with `550`, stall (accept the connection and answer nothing), or go down
//! (close its port) and come back on the same port.
#![expect(
    clippy::expect_used,
    reason = "test support: a broken test server should panic"
)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How clients reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No TLS.
    Plain,
    /// Plain, upgraded by STARTTLS (offered in EHLO).
    Starttls,
    /// TLS from the first byte.
    ImplicitTls,
}

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `MAIL FROM`.
    pub from: String,
    /// Every accepted `RCPT TO`.
    pub to: Vec<String>,
    /// The message as sent (headers and body, CRLF, dot-unstuffed).
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The user that signed in (`AUTH PLAIN`), if any.
    pub user: Option<String>,
}

impl Received {
    /// The first header `name` (case-insensitive), unfolded.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_owned());
            }
        }
        value
    }
}

impl Received {
    /// The decoded body of the first MIME part of `content_type` (e.g. `text/html`), undoing
    /// quoted-printable or base64 transfer encoding.
    #[must_use]
    pub fn part(&self, content_type: &str) -> Option<String> {
        self.part_bytes(content_type)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The decoded bytes of the first MIME part of `content_type` (e.g. an attached
    /// `application/pdf`).
    #[must_use]
    pub fn part_bytes(&self, content_type: &str) -> Option<Vec<u8>> {
        let start = self.data.find(&format!("Content-Type: {content_type}"))?;
        let rest = &self.data[start..];
        let (head, body) = rest.split_once("\r\n\r\n")?;
        let body = body.split("\r\n--").next().unwrap_or(body);
        let encoding = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
            .unwrap_or("7bit")
            .trim()
            .to_ascii_lowercase();
        Some(match encoding.as_str() {
            "base64" => {
                let compact: String = body.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap_or_default()
            }
            "quoted-printable" => quoted_printable(body).into_bytes(),
            _ => body.as_bytes().to_vec(),
        })
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len() + 1
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    refused: HashSet<String>,
    stall: bool,
    /// Connections seen (also stalled or refused ones).
    connections: usize,
}

/// The running server; stopped when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    security: Security,
    ca_pem: String,
    acceptor: TlsAcceptor,
    state: Arc<Mutex<State>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for SmtpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSink")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SmtpSink {
    /// Starts a server on a free port of 127.0.0.1.
    pub async fn start(security: Security) -> SmtpSink {
        let (ca_pem, acceptor) = tls();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("local address");
        let sink = SmtpSink {
            addr,
            security,
            ca_pem,
            acceptor,
            state: Arc::default(),
            task: Mutex::new(None),
        };
        sink.serve(listener);
        sink
    }

    fn serve(&self, listener: TcpListener) {
        let state = Arc::clone(&self.state);
        let acceptor = self.acceptor.clone();
        let security = self.security;
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let state = Arc::clone(&state);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = connection(tcp, security, acceptor, state).await;
                });
            }
        });
        *lock(&self.task) = Some(task);
    }

    /// `127.0.0.1`.
    #[must_use]
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The PEM of the CA that signed the server's certificate (for `mail.smtp.ca_file`).
    #[must_use]
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Refuses `RCPT TO` of `address` with `550` from now on.
    pub fn refuse(&self, address: &str) {
        lock(&self.state)
            .refused
            .insert(address.to_ascii_lowercase());
    }

    /// Accepts connections but answers nothing (a hung server) while `on`.
    pub fn stall(&self, on: bool) {
        lock(&self.state).stall = on;
    }

    /// Closes the port: connections are refused until [`SmtpSink::up`].
    pub fn down(&self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }

    /// Opens the same port again.
    pub async fn up(&self) {
        for _ in 0..50 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                self.serve(listener);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot bind {} again", self.addr);
    }

    /// Everything accepted so far.
    #[must_use]
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// Connections seen so far.
    #[must_use]
    pub fn connections(&self) -> usize {
        lock(&self.state).connections
    }

    /// Waits until at least `n` messages arrived (or `timeout`), then returns all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let all = self.received();
            if all.len() >= n || tokio::time::Instant::now() >= deadline {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.down();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A CA and a server certificate for `localhost` and `127.0.0.1` signed by it.
fn tls() -> (String, TlsAcceptor) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wetech test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let chain = vec![
        CertificateDer::from(cert.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server TLS config");
    (ca_cert.pem(), TlsAcceptor::from(Arc::new(config)))
}

/// What a session ended with.
enum End {
    Quit,
    StartTls,
}

async fn connection(
    mut tcp: TcpStream,
    security: Security,
    acceptor: TlsAcceptor,
    state: Arc<Mutex<State>>,
) -> std::io::Result<()> {
    let stall = {
        let mut s = lock(&state);
        s.connections += 1;
        s.stall
    };
    if stall {
        // Hold the connection open without a word until the client gives up.
        let mut buf = [0u8; 512];
        while tcp.read(&mut buf).await? > 0 {}
        return Ok(());
    }
    match security {
        Security::ImplicitTls => {
            let mut tls = acceptor.accept(tcp).await?;
            session(&mut tls, true, false, true, &state).await?;
        }
        Security::Plain | Security::Starttls => {
            let offer = security == Security::Starttls;
            if let End::StartTls = session(&mut tcp, false, offer, true, &state).await? {
                let mut tls = acceptor.accept(tcp).await?;
                session(&mut tls, true, false, false, &state).await?;
            }
        }
    }
    Ok(())
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    tls: bool,
    offer_starttls: bool,
    greet: bool,
    state: &Arc<Mutex<State>>,
) -> std::io::Result<End> {
    let mut lines = Lines::default();
    if greet {
        s.write_all(b"220 localhost ESMTP wetech-test-smtp\r\n")
            .await?;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    let mut user = None;
    loop {
        let Some(line) = lines.next(s).await? else {
            return Ok(End::Quit);
        };
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let mut r = String::from("250-localhost\r\n");
            if offer_starttls {
                r.push_str("250-STARTTLS\r\n");
            }
            r.push_str("250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
            r
        } else if upper.starts_with("HELO") {
            "250 localhost\r\n".into()
        } else if upper == "STARTTLS" && offer_starttls {
            s.write_all(b"220 go ahead\r\n").await?;
            return Ok(End::StartTls);
        } else if upper.starts_with("AUTH PLAIN ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(line["AUTH PLAIN ".len()..].trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            user = decoded.and_then(|d| d.split('\0').nth(1).map(str::to_owned));
            "235 authenticated\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line["MAIL FROM:".len()..]);
            to.clear();
            "250 sender ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&line["RCPT TO:".len()..]);
            if lock(state).refused.contains(&rcpt.to_ascii_lowercase()) {
                "550 5.1.1 no such user here\r\n".into()
            } else {
                to.push(rcpt);
                "250 recipient ok\r\n".into()
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                "554 no valid recipients\r\n".into()
            } else {
                s.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let Some(data) = lines.data(s).await? else {
                    return Ok(End::Quit);
                };
                let n = {
                    let mut st = lock(state);
                    st.received.push(Received {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
                        tls,
                        user: user.clone(),
                    });
                    st.received.len()
                };
                format!("250 2.0.0 queued as {n}\r\n")
            }
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            "250 reset\r\n".into()
        } else if upper == "NOOP" {
            "250 ok\r\n".into()
        } else if upper == "QUIT" {
            s.write_all(b"221 bye\r\n").await?;
            return Ok(End::Quit);
        } else {
            "502 command not implemented\r\n".into()
        };
        s.write_all(reply.as_bytes()).await?;
    }
}

/// `<a@b>` (with optional parameters after it) → `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

/// CRLF lines from a stream, with its own buffer.
#[derive(Default)]
struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    async fn next<S: AsyncRead + Unpin>(&mut self, s: &mut S) -> std::io::Result<Option<String>> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..i + 2).take(i).collect();
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The DATA section up to the line `.`, dot-unstuffed.
    async fn data<S: AsyncRead + Unpin>(&mut self, s: &mut S) -> std::io::Result<Option<String>> {
        let mut out = String::new();
        loop {
            let Some(line) = self.next(s).await? else {
                return Ok(None);
            };
            if line == "." {
                return Ok(Some(out));
            }
            out.push_str(line.strip_prefix('.').unwrap_or(&line));
            out.push_str("\r\n");
        }
    }
}
