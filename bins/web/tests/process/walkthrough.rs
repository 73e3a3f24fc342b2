//! The operator's walk-through of docs/operations.md ("Back office"), with the real `web` and
//! `ops` binaries, on SQLite and on PostgreSQL: the first admin account made with `ops staff
//! add` (password on standard input), sign-in, a lead found by part of its phone number and
//! marked contacted with a note, a paid-twice payment refunded through Pesapal in the simulator
//! from the link on the invoice's page, and all of it in the audit log.
//!
//! `ops` is the binary built beside `web` (`cargo test --workspace` builds both).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use wetech_persistence::Backend;
use wetech_test_db::TestDb;

use crate::helpers::Web;

const ADMIN: &str = "first.admin@example.com";
const PASSWORD: &str = "a long pass phrase 42";

/// The `ops` binary next to `web`.
fn ops_binary() -> PathBuf {
    let ops = Path::new(env!("CARGO_BIN_EXE_web")).with_file_name("ops");
    assert!(
        ops.exists(),
        "{} is missing: build it first (`cargo build --bin ops`, or run `cargo test --workspace`)",
        ops.display()
    );
    ops
}

/// Runs `ops args…` in `dir` with `env` and `stdin`; answers (status, stdout, stderr).
fn ops(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut cmd = Command::new(ops_binary());
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("WETECH") || key == "RUST_LOG" {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A page's status, `Location` and body.
struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Page {
    async fn of(resp: reqwest::Response) -> Page {
        Page {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: resp.text().await.unwrap(),
        }
    }

    fn csrf_token(&self) -> String {
        self.between("name=\"csrf_token\" value=\"", "\"")
    }

    /// The text between the first `start` and the next `end` after it.
    fn between(&self, start: &str, end: &str) -> String {
        let from = self
            .body
            .find(start)
            .unwrap_or_else(|| panic!("no {start:?} in {}", self.body))
            + start.len();
        let to = self.body[from..].find(end).unwrap() + from;
        self.body[from..to].to_owned()
    }
}

async fn get(web: &Web, path: &str) -> Page {
    Page::of(web.get(path).await).await
}

async fn post(web: &Web, path: &str, form: &[(&str, &str)]) -> Page {
    let resp = web
        .client
        .post(format!("{}{path}", web.address))
        .form(form)
        .send()
        .await
        .unwrap();
    Page::of(resp).await
}

async fn control(web: &Web, path: &str, body: Option<&Value>) -> reqwest::Response {
    let url = format!("{}/_simulator/control/{path}", web.address);
    let req = match body {
        Some(b) => web.client.put(url).json(b),
        None => web.client.post(url),
    };
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{path}: {resp:?}");
    resp
}

async fn start_payment(web: &Web, invoice: &str, body: &Value) -> Value {
    let resp = web
        .post_json(&format!("/api/v1/invoices/{invoice}/payments"), body)
        .await;
    assert_eq!(resp.status(), 201);
    resp.json().await.unwrap()
}

/// Polls `path` until its body contains `text`.
async fn wait_for_page(web: &Web, path: &str, text: &str) -> Page {
    for _ in 0..100 {
        let page = get(web, path).await;
        if page.body.contains(text) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never showed {text:?}");
}

async fn walk_through(backend: Backend) {
    let db = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => match TestDb::postgres() {
            Some(db) => Some(db),
            None => return,
        },
    };
    let dir = tempfile::tempdir().unwrap();
    let url = db.as_ref().map(|d| d.url().to_owned());
    let mut env: Vec<(&str, &str)> = Vec::new();
    if let Some(url) = &url {
        env.push(("WETECH__DATABASE__URL", url));
    }
    // The site first: it creates and migrates the database on its first start.
    let web = Web::start(dir.path(), &env).await;

    // 1. The first admin account, its password on standard input.
    let (code, out, err) = ops(
        dir.path(),
        &env,
        &[
            "staff",
            "add",
            ADMIN,
            "--name",
            "Neema Mushi",
            "--role",
            "admin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "ops staff add: {out}{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));

    // 2. Sign in.
    let login = get(&web, "/admin/login").await;
    let signed = post(
        &web,
        "/admin/login",
        &[
            ("csrf_token", &login.csrf_token()),
            ("email", ADMIN),
            ("password", PASSWORD),
            ("next", ""),
        ],
    )
    .await;
    assert_eq!(
        (signed.status, signed.location.as_deref()),
        (303, Some("/admin/")),
        "{}",
        signed.body
    );

    // 3. A customer's lead, found by part of the phone number.
    let lead = json!({"name": "Baraka Mollel", "email": "baraka@example.com", "phone": "0754 987 321",
                      "company": "Mollel Tours", "service": "WEB-BASIC", "message": ""});
    let resp = web.post_json("/api/v1/leads", &lead).await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    let invoice = created["invoice"]["id"].as_str().unwrap().to_owned();
    let found = get(&web, "/admin/leads?q=987321").await;
    assert_eq!(found.status, 200);
    assert!(found.body.contains("Baraka Mollel"), "{}", found.body);
    let lead_path = format!(
        "/admin/leads/{}",
        found.between("href=\"/admin/leads/", "\"")
    );

    // 4. Marked contacted, with a note.
    let detail = get(&web, &lead_path).await;
    assert_eq!(detail.status, 200);
    let marked = post(
        &web,
        &format!("{lead_path}/status"),
        &[
            ("csrf_token", &detail.csrf_token()),
            ("status", "contacted"),
            ("note", "Called, will pay today"),
        ],
    )
    .await;
    assert_eq!(marked.status, 303, "{}", marked.body);
    let detail = get(&web, &lead_path).await;
    assert!(
        detail.body.contains("Called, will pay today"),
        "{}",
        detail.body
    );

    // 5. Paid twice: Pesapal's page opened, then AzamPay paid at once, then Pesapal paid too.
    control(
        &web,
        "config",
        Some(&json!({"azampay_push": {"mode": "approve", "after_ms": 0}})),
    )
    .await;
    let pesapal = start_payment(&web, &invoice, &json!({"gateway": "pesapal"})).await;
    let tracking = pesapal["redirect_url"]
        .as_str()
        .unwrap()
        .split("OrderTrackingId=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let pesapal_id = pesapal["payment_id"].as_str().unwrap().to_owned();
    start_payment(
        &web,
        &invoice,
        &json!({"gateway": "azampay", "phone": "0754987321", "provider": "Airtel"}),
    )
    .await;
    web.wait_for_status(&invoice, "paid").await;
    control(&web, &format!("pesapal/orders/{tracking}/complete"), None).await;
    let review = wait_for_page(&web, "/admin/payments?state=review", &pesapal_id).await;
    assert_eq!(review.status, 200);

    // 6. Refunded from the link on the invoice's page.
    let invoice_page = get(&web, &format!("/admin/invoices/{invoice}")).await;
    let refund_path = format!("/admin/payments/{pesapal_id}/refund");
    assert!(
        invoice_page
            .body
            .contains(&format!("href=\"{refund_path}\"")),
        "{}",
        invoice_page.body
    );
    let form = get(&web, &refund_path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let amount = form.between("name=\"amount\" value=\"", "\"");
    let calls_before: Value = web
        .get("/_simulator/control/calls")
        .await
        .json()
        .await
        .unwrap();
    let refunded = post(
        &web,
        &refund_path,
        &[
            ("csrf_token", &form.csrf_token()),
            ("amount", &amount),
            ("reason", "Paid twice: AzamPay and Pesapal"),
        ],
    )
    .await;
    assert_eq!(
        (refunded.status, refunded.location),
        (303, Some(format!("/admin/invoices/{invoice}"))),
        "{}",
        refunded.body
    );
    let calls: Value = web
        .get("/_simulator/control/calls")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        calls["pesapal.refund"].as_u64(),
        calls_before["pesapal.refund"].as_u64().map(|n| n + 1),
        "the simulator got one RefundRequest: {calls}"
    );
    assert_eq!(
        web.wait_for_status(&invoice, "paid").await["status"],
        "paid"
    );

    // 7. All of it in the audit log.
    let audit = get(&web, "/admin/audit").await;
    assert_eq!(audit.status, 200);
    for action in ["staff.add", "login", "lead.status", "payment.refund"] {
        assert!(
            audit.body.contains(&format!("<td>{action}</td>")),
            "{action} not in the audit log: {}",
            audit.body
        );
    }
    let stopped = web.terminate().await;
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_walk_through_on_sqlite() {
    walk_through(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_walk_through_on_postgres() {
    walk_through(Backend::Postgres).await;
}
