//! Several instances (docs/operations.md, "Several instances"): three real `web` processes on one
//! throwaway PostgreSQL database behind a small round-robin proxy written here, with one gateway
//! simulator for all, and every rule of the contract's "Several instances" checked across them:
//! lead numbers unique and gap-free, idempotency keys, the database rate limit, one IPN
//! registration, a notification delivered to every instance settling once, a reconcile run
//! alongside, staff sessions and lockouts, and the outbox sending each message once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use wetech_app::UseCases;
use wetech_app::backoffice::{Actor, AdminSettings, BackOffice, NewPassword, NewStaffAccount};
use wetech_domain::{EmailAddress, PersonName, StaffRole};
use wetech_gateway_sim::{Endpoint, PESAPAL_PATH, Simulator, SimulatorConfig};
use wetech_persistence::UnitOfWork;
use wetech_test_db::TestDb;

use crate::helpers::Web;

const RATE_LIMIT: usize = 25;
const STAFF: &str = "instances.staff@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// A TCP proxy that hands each new connection to the next backend in turn (the client below
/// opens a connection per request, so requests go round the instances).
async fn round_robin(listener: TcpListener, backends: Arc<Mutex<Vec<String>>>) {
    let next = AtomicUsize::new(0);
    while let Ok((mut inbound, _)) = listener.accept().await {
        let backend = {
            let list = backends.lock().unwrap();
            if list.is_empty() {
                continue;
            }
            list[next.fetch_add(1, Ordering::Relaxed) % list.len()].clone()
        };
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&backend).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn lead_body(n: usize) -> Value {
    json!({"name": "Amani Wengi", "email": format!("instances.{n}@example.com"),
           "phone": "0754123456", "company": "", "service": "WEB-BASIC", "message": ""})
}

async fn post_lead(
    client: &reqwest::Client,
    origin: &str,
    n: usize,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = client
        .post(format!("{origin}/api/v1/leads"))
        .json(&lead_body(n));
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    req.send().await.unwrap()
}

fn csrf(body: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker).expect("a csrf_token field") + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

async fn sign_in(client: &reqwest::Client, origin: &str, password: &str) -> u16 {
    let form = client
        .get(format!("{origin}/admin/login"))
        .send()
        .await
        .unwrap();
    let token = csrf(&form.text().await.unwrap());
    client
        .post(format!("{origin}/admin/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", STAFF),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn admin_status(client: &reqwest::Client, origin: &str) -> u16 {
    client
        .get(format!("{origin}/admin/"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn count(db: &TestDb, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<Count>(&mut **db.conn())
        .unwrap()
        .n
}

/// Starts a Pesapal payment of `invoice` through `origin`; returns the order tracking id.
async fn start_pesapal(client: &reqwest::Client, origin: &str, invoice: &str) -> String {
    let resp = client
        .post(format!("{origin}/api/v1/invoices/{invoice}/payments"))
        .json(&json!({"gateway": "pesapal"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let started: Value = resp.json().await.unwrap();
    let redirect = started["redirect_url"].as_str().unwrap();
    redirect
        .split_once("OrderTrackingId=")
        .map(|(_, rest)| rest.split('&').next().unwrap().to_owned())
        .unwrap()
}

async fn invoice_status(client: &reqwest::Client, origin: &str, invoice: &str) -> String {
    let v: Value = client
        .get(format!("{origin}/api/v1/invoices/{invoice}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["status"].as_str().unwrap().to_owned()
}

async fn wait_paid(client: &reqwest::Client, origin: &str, invoice: &str) {
    for _ in 0..200 {
        if invoice_status(client, origin, invoice).await == "paid" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("invoice {invoice} never became paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_on_one_postgresql_keep_every_rule() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let sim = Simulator::new(SimulatorConfig::default()).spawn().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let backends = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn(round_robin(listener, backends.clone()));

    let mail_dir = tempfile::tempdir().unwrap();
    let pesapal = format!("{}{PESAPAL_PATH}", sim.origin());
    let rate = RATE_LIMIT.to_string();
    let mail = mail_dir.path().display().to_string();
    let env = [
        ("WETECH__DATABASE__URL", db.url()),
        ("WETECH__SERVER__PUBLIC_URL", origin.as_str()),
        (
            "WETECH__SERVER__SECRET_KEY",
            "instances-test-secret-key-0123456789abcdef",
        ),
        ("WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE", rate.as_str()),
        ("WETECH__PAYMENTS__MODE", "sandbox"),
        ("WETECH__PAYMENTS__PESAPAL__BASE_URL", pesapal.as_str()),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", "instances-key"),
        (
            "WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET",
            "instances-secret",
        ),
        ("WETECH__MAIL__TRANSPORT", "file"),
        ("WETECH__MAIL__DIR", mail.as_str()),
        ("WETECH__MAIL__POLL_MS", "100"),
    ];
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // Three instances start at once.
    let (a, b, c) = tokio::join!(
        Web::start(dirs[0].path(), &env),
        Web::start(dirs[1].path(), &env),
        Web::start(dirs[2].path(), &env),
    );
    let webs = [a, b, c];
    *backends.lock().unwrap() = webs
        .iter()
        .map(|w| w.address.trim_start_matches("http://").to_owned())
        .collect();
    let http = client();

    // The rate limit counts fixed minutes: start its checks early in one.
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second > 30 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(61 - second).unwrap())).await;
    }

    // Lead numbers: unique and gap-free across instances, as on one.
    let submitted = join_all((0..20).map(|n| {
        let http = http.clone();
        let origin = origin.clone();
        async move {
            let resp = post_lead(&http, &origin, n, None).await;
            assert_eq!(resp.status(), 201);
            resp.json::<Value>().await.unwrap()["invoice"].clone()
        }
    }))
    .await;
    let mut numbers: Vec<u64> = submitted
        .iter()
        .map(|i| {
            i["number"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    numbers.sort_unstable();
    let first = numbers[0];
    assert_eq!(
        numbers,
        (first..first + 20).collect::<Vec<_>>(),
        "unique and gap-free"
    );

    // Idempotency: one key, three instances, one lead.
    let mut replies = Vec::new();
    for _ in 0..3 {
        let resp = post_lead(&http, &origin, 100, Some("instances-key-1")).await;
        assert_eq!(resp.status(), 201);
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let body: Value = resp.json().await.unwrap();
        replies.push((body["invoice"]["id"].clone(), replayed));
    }
    assert!(
        replies.iter().all(|(id, _)| *id == replies[0].0),
        "{replies:?}"
    );
    assert_eq!(replies.iter().filter(|(_, r)| *r).count(), 2, "{replies:?}");

    // The rate limit counts across instances: 23 counted so far, two more pass, then 429
    // on every instance.
    let mut accepted = 0;
    let mut refused = 0;
    for n in 200..206 {
        match post_lead(&http, &origin, n, None).await.status().as_u16() {
            201 => accepted += 1,
            429 => refused += 1,
            other => panic!("lead answered {other}"),
        }
    }
    assert_eq!(
        (accepted, refused),
        (RATE_LIMIT - 23, 6 - (RATE_LIMIT - 23))
    );

    // One IPN registration: the first Pesapal payments start on three instances at once, and
    // registering takes long enough that all three would find the URL absent.
    sim.handle()
        .delay_next(Endpoint::PesapalRegisterIpn, 3, Duration::from_millis(700));
    let invoices: Vec<String> = submitted
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let trackings = join_all(webs.iter().zip(&invoices).map(|(w, invoice)| {
        let http = http.clone();
        let address = w.address.clone();
        let invoice = invoice.clone();
        async move { start_pesapal(&http, &address, &invoice).await }
    }))
    .await;
    assert_eq!(
        sim.handle().calls(Endpoint::PesapalRegisterIpn),
        1,
        "one RegisterIPN"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS n FROM app_settings WHERE key = 'pesapal.ipn_id'"
        ),
        1,
        "one id kept, used by all"
    );

    // A notification delivered to every instance settles its invoice once.
    sim.handle().complete_pesapal_order(&trackings[0]).unwrap();
    wait_paid(&http, &origin, &invoices[0]).await;
    let ipn = sim
        .handle()
        .deliveries()
        .into_iter()
        .find(|d| d.url.contains(&trackings[0]))
        .expect("the simulator sent the IPN");
    let path = ipn.url.trim_start_matches(&origin).to_owned();
    let again = join_all(webs.iter().map(|w| {
        let url = format!("{}{path}", w.address);
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    }))
    .await;
    assert_eq!(again, [200, 200, 200]);

    // `ops reconcile` alongside: a reconciler on the same database while the IPN arrives.
    let settings = wetech_runtime::Settings::load_from(
        None,
        env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .unwrap();
    let gateways = wetech_runtime::build_gateways(&settings, None).unwrap();
    let reconciler = UseCases::new(
        UnitOfWork::new(db.pool().clone()),
        gateways,
        &origin,
        settings.checkout.clone(),
    );
    sim.handle().complete_pesapal_order(&trackings[1]).unwrap();
    sim.handle().complete_pesapal_order(&trackings[2]).unwrap();
    reconciler.reconcile(Duration::ZERO).await.unwrap();
    wait_paid(&http, &origin, &invoices[1]).await;
    wait_paid(&http, &origin, &invoices[2]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS n FROM attempt_status_history WHERE to_status = 'completed'"
        ),
        3,
        "each of the three attempts completed once"
    );

    // Staff sessions and lockouts are shared.
    BackOffice::new(db.unit_of_work(), &AdminSettings::default())
        .add_account(
            &NewStaffAccount {
                email: EmailAddress::parse(STAFF).unwrap(),
                name: PersonName::parse("Neema Mushi").unwrap(),
                role: StaffRole::Admin,
                password: NewPassword::parse(SecretString::from(PASSWORD)).unwrap(),
            },
            &Actor::ops(),
        )
        .unwrap();
    let browser = client();
    assert_eq!(sign_in(&browser, &webs[0].address, PASSWORD).await, 303);
    assert_eq!(
        admin_status(&browser, &webs[1].address).await,
        200,
        "made on one, good on another"
    );
    assert_eq!(admin_status(&browser, &webs[2].address).await, 200);
    let page = browser
        .get(format!("{}/admin/", webs[2].address))
        .send()
        .await
        .unwrap();
    let token = csrf(&page.text().await.unwrap());
    let out = browser
        .post(format!("{}/admin/logout", webs[2].address))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    for w in &webs {
        assert_eq!(
            admin_status(&browser, &w.address).await,
            303,
            "a logout ends it on all"
        );
    }
    for attempt in 0..5 {
        let w = &webs[attempt % 3];
        assert_eq!(sign_in(&browser, &w.address, "not the password").await, 401);
    }
    for w in &webs {
        assert_eq!(
            sign_in(&browser, &w.address, PASSWORD).await,
            429,
            "locked on every instance"
        );
    }

    // The outbox sends each message once: every row sent on its first claim, one file each.
    let mut waiting = -1;
    for _ in 0..200 {
        waiting = count(
            &db,
            "SELECT count(*) AS n FROM outbox_messages WHERE state <> 'sent'",
        );
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(waiting, 0, "every message sent");
    let rows = count(&db, "SELECT count(*) AS n FROM outbox_messages");
    assert!(rows >= 25, "{rows} messages");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS n FROM outbox_messages WHERE attempts <> 1"
        ),
        0
    );
    let files = std::fs::read_dir(mail_dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "eml")
        })
        .count();
    assert_eq!(i64::try_from(files).unwrap(), rows);

    for w in webs {
        let stopped = w.terminate().await;
        assert!(stopped.status.success(), "{}", stopped.stderr);
    }
    sim.stop().await;
}

/// Runs the futures at once and returns their outputs in order.
async fn join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
