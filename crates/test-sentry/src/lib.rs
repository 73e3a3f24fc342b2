//! Dev-only: a local endpoint that speaks the receiving half of the Sentry protocol, so the tests
//! see the envelopes the real `sentry` client (with its real HTTP transport) sends.
//!
//! [`SentrySink::start`] serves `POST /api/{project}/envelope/` on a free loopback port from a
//! thread of its own (usable from synchronous and asynchronous tests alike), answers 200 with an
//! event id as Sentry does, and keeps every request body as it arrived. [`SentrySink::dsn`] is
//! the DSN to configure (`observability.sentry_dsn`).
//!
//! Hand-written because no maintained crate offers a Sentry *receiver* for tests; the HTTP side is
//! actix-web, and the envelopes are parsed with `sentry`'s own [`Envelope`] type.

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use sentry::Envelope;
/// The event type the envelopes hold (re-exported so tests need not depend on `sentry`).
pub use sentry::protocol::Event;

/// One request the endpoint received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request path, such as `/api/1/envelope/`.
    pub path: String,
    /// The `X-Sentry-Auth` header the client sent.
    pub auth: Option<String>,
    /// The body, exactly as sent.
    pub body: Vec<u8>,
}

impl Received {
    /// The body as text (envelopes are newline-separated JSON).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error event in the envelope, if it holds one.
    #[must_use]
    pub fn event(&self) -> Option<Event<'static>> {
        Envelope::from_slice(&self.body)
            .ok()
            .and_then(|envelope| envelope.event().cloned())
    }
}

type Store = Arc<Mutex<Vec<Received>>>;

/// The running endpoint; stopped when dropped.
pub struct SentrySink {
    port: u16,
    received: Store,
    server: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl SentrySink {
    /// Starts the endpoint on a free loopback port.
    ///
    /// # Panics
    /// When no port can be bound or the server does not start (a test set-up failure).
    #[must_use]
    #[expect(
        clippy::expect_used,
        reason = "test support: a set-up failure ends the test"
    )]
    pub fn start() -> SentrySink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("bound address").port();
        let received: Store = Arc::default();
        let store = Arc::clone(&received);
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(Arc::clone(&store)))
                        .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                        .route("/api/{project}/envelope/", web::post().to(receive))
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .expect("listen")
                .run();
                let _ = handle_tx.send(server.handle());
                let _ = server.await;
            });
        });
        let server = handle_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the Sentry sink started");
        SentrySink {
            port,
            received,
            server,
            thread: Some(thread),
        }
    }

    /// The DSN that sends reports here (project 1, public key `testkey`).
    #[must_use]
    pub fn dsn(&self) -> String {
        format!("http://testkey@127.0.0.1:{}/1", self.port)
    }

    /// Everything received so far.
    #[must_use]
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The error events received so far (envelopes of other kinds, such as sessions, left out).
    #[must_use]
    pub fn events(&self) -> Vec<Event<'static>> {
        self.received().iter().filter_map(Received::event).collect()
    }

    /// Waits up to `timeout` until `done` holds for the events received, and returns them (also
    /// when it never held, for the test's own assertion to name what came).
    #[must_use]
    pub fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[Event<'static>]) -> bool,
    ) -> Vec<Event<'static>> {
        let deadline = Instant::now() + timeout;
        loop {
            let events = self.events();
            if done(&events) || Instant::now() >= deadline {
                return events;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SentrySink {
    fn drop(&mut self) {
        // Stopping needs the server's own runtime, which lives on the sink's thread.
        drop(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, store: web::Data<Store>) -> HttpResponse {
    let auth = req
        .headers()
        .get("x-sentry-auth")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let id = Envelope::from_slice(&body)
        .ok()
        .and_then(|e| e.uuid().copied())
        .map(|id| id.simple().to_string())
        .unwrap_or_default();
    store
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Received {
            path: req.path().to_owned(),
            auth,
            body: body.to_vec(),
        });
    // Sentry answers an envelope with `{"id": "<event id>"}` (the id is hex: nothing to escape).
    HttpResponse::Ok()
        .content_type("application/json")
        .body(format!("{{\"id\":\"{id}\"}}"))
}
