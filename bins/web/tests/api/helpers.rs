//! `spawn_app`: the real server on a free port with a temporary database and the simulator.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use wetech_app::UseCases;
use wetech_gateway_sim::SimulatorHandle;
use wetech_persistence::Backend;
use wetech_runtime::Settings;
use wetech_test_db::TestDb;
use wetech_web::Application;

/// A running server and what a test needs to drive it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// A client with a cookie store that does not follow redirects.
    pub client: reqwest::Client,
    /// The database (dropped with the app).
    pub db: TestDb,
    /// The in-process simulator.
    pub sim: SimulatorHandle,
    /// The server's use cases.
    pub use_cases: UseCases,
    /// Temporary directory holding logs and media.
    pub dir: tempfile::TempDir,
    /// The AzamPay callback token in force.
    pub callback_token: String,
    /// The metrics listener, when metrics are on.
    pub metrics_address: Option<std::net::SocketAddr>,
}

/// Settings for a test server on `db`.
pub fn test_settings(db: &TestDb, dir: &std::path::Path) -> Settings {
    let mut vars: Vec<(String, String)> = vec![
        ("WETECH__SERVER__PORT".into(), "0".into()),
        ("WETECH__DATABASE__URL".into(), db.url().to_owned()),
        (
            "WETECH__LOG__DIR".into(),
            dir.join("logs").display().to_string(),
        ),
        (
            "WETECH__STORAGE__MEDIA_DIR".into(),
            dir.join("media").display().to_string(),
        ),
        (
            "WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE".into(),
            "100000".into(),
        ),
        ("WETECH__PAYMENTS__TIMEOUT_MS".into(), "3000".into()),
        // The development default writes e-mails as files; keep them in the test's directory.
        (
            "WETECH__MAIL__DIR".into(),
            dir.join("mail").display().to_string(),
        ),
        ("WETECH__MAIL__POLL_MS".into(), "50".into()),
        // Each test server's metrics listener on a free port (the default 9464 is one port).
        (
            "WETECH__OBSERVABILITY__METRICS_ADDR".into(),
            "127.0.0.1:0".into(),
        ),
        // The shared build machine's disk is often 90 % full; the disk check's thresholds are
        // tested on their own (wetech-ops), here "pass" must not depend on it.
        ("WETECH__HEALTH__MIN_FREE_DISK_PERCENT".into(), "0.5".into()),
    ];
    vars.push((
        "WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN".into(),
        "test-callback-token-0123456789".into(),
    ));
    Settings::load_from(None, vars).expect("test settings")
}

/// Starts the app on `backend` (`None`: PostgreSQL skipped), after `tweak` adjusts the settings.
pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    spawn_app_with_routes(backend, tweak, |_| {}).await
}

/// [`spawn_app_with`], with `routes` mounted inside the site's middleware (routes only a test
/// has, such as one that panics).
pub async fn spawn_app_with_routes(
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
    routes: fn(&mut actix_web::web::ServiceConfig),
) -> Option<TestApp> {
    let db = TestDb::new(backend)?;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&db, dir.path());
    tweak(&mut settings);
    let callback_token = settings
        .payments
        .azampay
        .callback_token
        .as_ref()
        .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned())
        .unwrap_or_default();
    let app = Application::build_with_routes(settings, routes)
        .await
        .expect("build app");
    let address = format!("http://{}", app.address());
    let metrics_address = app.metrics_address();
    let sim = app.simulator().expect("simulator mode").clone();
    let use_cases = app.use_cases().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    Some(TestApp {
        address,
        client,
        db,
        sim,
        use_cases,
        dir,
        callback_token,
        metrics_address,
    })
}

/// Starts the app on `backend` with the test settings.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

impl TestApp {
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

    /// A valid lead body for `service`.
    pub fn lead_body(email: &str) -> Value {
        serde_json::json!({
            "name": "Asha Mwakyusa",
            "email": email,
            "phone": "0754123456",
            "company": "Mwakyusa Traders",
            "service": "WEB-BASIC",
            "message": "Karibu"
        })
    }

    /// Submits a valid lead and returns the receipt.
    pub async fn submit_lead(&self, email: &str) -> Value {
        let resp = self
            .post_json("/api/v1/leads", &Self::lead_body(email))
            .await;
        assert_eq!(resp.status(), 201, "lead submission");
        resp.json().await.unwrap()
    }

    /// A new invoice with a pending AzamPay push (Airtel, 0754123456); returns (invoice id,
    /// payment id, the simulator's transaction id).
    pub async fn start_azampay_payment(&self, email: &str) -> (String, String, String) {
        let id = self.submit_lead(email).await["invoice"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let resp = self
            .post_json(
                &format!("/api/v1/invoices/{id}/payments"),
                &serde_json::json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let reference = resp.json::<Value>().await.unwrap()["payment_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let tx = self
            .sim
            .azampay_transactions()
            .into_iter()
            .find(|t| t.external_id == reference)
            .unwrap();
        (id, reference, tx.transaction_id)
    }

    /// POSTs `body` as JSON to the AzamPay callback path holding the token in force.
    pub async fn post_azampay_callback(&self, body: &[u8]) -> reqwest::Response {
        self.client
            .post(format!(
                "{}/payments/azampay/callback/{}",
                self.address, self.callback_token
            ))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// The invoice as the API shows it.
    pub async fn invoice(&self, id: &str) -> Value {
        let resp = self.get(&format!("/api/v1/invoices/{id}")).await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// Polls the invoice until its status is `status` (notifications arrive asynchronously).
    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..100 {
            last = self.invoice(id).await;
            if last["status"] == status {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("invoice {id} never became {status}: {last}");
    }

    /// The logs directory.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }
}

/// Writes each async test once and runs it against SQLite and PostgreSQL:
/// `async fn name(app: TestApp) { … }` becomes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! app_tests {
    ($($(#[$meta:meta])* async fn $name:ident($app:ident : TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports, reason = "the body decides")]
                use super::*;
                #[allow(unused_imports, reason = "the body decides")]
                use $crate::helpers::*;

                async fn run($app: $crate::helpers::TestApp) $body

                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app(wetech_persistence::Backend::Sqlite).await.unwrap();
                    run(app).await;
                }

                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app(wetech_persistence::Backend::Postgres).await {
                        run(app).await;
                    }
                }
            }
        )*
    };
}
