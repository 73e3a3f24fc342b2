//! Shared test helpers: quick HTTP options, clients bound to a simulator, and a receiver that
//! records the IPNs and callbacks the simulator delivers.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use wetech_gateway_sim::{RunningSimulator, Simulator, SimulatorConfig};
use wetech_payments::azampay::{AzamPayClient, AzamPayConfig};
use wetech_payments::pesapal::{IpnNotificationType, PesapalClient, PesapalConfig};
use wetech_payments::{
    CheckoutRequest, Currency, HttpOptions, MobileProvider, Money, Payer, StatusQuery,
};

/// Short timeouts and backoff so retry tests are quick.
pub fn quick() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_secs(5),
        max_retries: 3,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
    }
}

pub fn sim_config() -> SimulatorConfig {
    SimulatorConfig {
        delivery_retry_delay: Duration::from_millis(50),
        ..SimulatorConfig::default()
    }
}

pub fn spawn_sim() -> RunningSimulator {
    Simulator::new(sim_config()).spawn().unwrap()
}

pub fn pesapal_config(sim: &RunningSimulator) -> PesapalConfig {
    let mut c = PesapalConfig::new(&sim.pesapal_base_url(), "sim-key", "sim-secret");
    c.http = quick();
    c
}

pub fn pesapal(sim: &RunningSimulator) -> PesapalClient {
    PesapalClient::new(pesapal_config(sim)).unwrap()
}

/// A Pesapal client with an IPN registered at `ipn_url`.
pub async fn pesapal_ready(
    sim: &RunningSimulator,
    ipn_url: &str,
    kind: IpnNotificationType,
) -> PesapalClient {
    let client = pesapal(sim);
    client.find_or_register_ipn(ipn_url, kind).await.unwrap();
    client
}

pub fn azampay_config(sim: &RunningSimulator) -> AzamPayConfig {
    let mut c = AzamPayConfig::new(
        &sim.azampay_auth_base_url(),
        &sim.azampay_checkout_base_url(),
        "wetech-test",
        "client-id",
        "client-secret",
    );
    c.http = quick();
    c
}

pub fn azampay(sim: &RunningSimulator) -> AzamPayClient {
    AzamPayClient::new(azampay_config(sim)).unwrap()
}

/// An amount the simulator holds, as the payments crate's `Money` (the simulator has its own
/// amount type: it shares no code with the clients it tests).
pub fn money_of(amount: wetech_gateway_sim::Amount) -> Money {
    let currency = Currency::parse(amount.currency()).unwrap();
    Money::parse_decimal(&amount.to_decimal_string(), currency).unwrap()
}

/// A status query for the gateway's reference (and AzamPay's operator).
pub fn status_query(gateway_reference: &str, provider: Option<MobileProvider>) -> StatusQuery {
    StatusQuery {
        merchant_reference: String::new(),
        gateway_reference: Some(gateway_reference.to_owned()),
        provider,
    }
}

pub fn tzs(text: &str) -> Money {
    Money::parse_decimal(text, Currency::TZS).unwrap()
}

pub fn pesapal_checkout(reference: &str, amount: &str) -> CheckoutRequest {
    CheckoutRequest {
        merchant_reference: reference.to_owned(),
        amount: tzs(amount),
        description: "Business website".to_owned(),
        payer: Payer {
            email: Some("asha@example.com".to_owned()),
            phone: Some("+255712345678".to_owned()),
            first_name: Some("Asha".to_owned()),
            last_name: Some("Mushi".to_owned()),
            country_code: Some("TZ".to_owned()),
        },
        callback_url: Some("http://127.0.0.1:9/payments/pesapal/return".to_owned()),
        cancellation_url: Some("http://127.0.0.1:9/invoices/x".to_owned()),
        provider: None,
    }
}

pub fn azampay_checkout(reference: &str, amount: &str, phone: &str) -> CheckoutRequest {
    CheckoutRequest {
        merchant_reference: reference.to_owned(),
        amount: tzs(amount),
        description: "Hosting".to_owned(),
        payer: Payer {
            phone: Some(phone.to_owned()),
            ..Payer::default()
        },
        callback_url: None,
        cancellation_url: None,
        provider: Some(MobileProvider::Airtel),
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// An HTTP server on a free port that records every request. It answers Pesapal IPNs with the
/// proper acknowledgement (or with `status: 500` while `ack` is false) and anything else with
/// `{"success":true}`.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub ack: Arc<Mutex<bool>>,
    server: actix_web::dev::ServerHandle,
}

impl Receiver {
    pub fn spawn() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let ack = Arc::new(Mutex::new(true));
        let (r, a) = (received.clone(), ack.clone());
        let server = HttpServer::new(move || {
            let (r, a) = (r.clone(), a.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (r, a) = (r.clone(), a.clone());
                async move { record(&req, &body, &r, &a) }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url,
            received,
            ack,
            server: handle,
        }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..250 {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} requests, got {:?}", self.requests());
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

fn record(
    req: &HttpRequest,
    body: &[u8],
    r: &Mutex<Vec<Received>>,
    ack: &Mutex<bool>,
) -> HttpResponse {
    let received = Received {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        content_type: req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
    };
    r.lock().unwrap().push(received.clone());
    if received.path.contains("ipn") {
        let method = if received.method == "GET" {
            wetech_payments::NotificationMethod::Get
        } else {
            wetech_payments::NotificationMethod::Post
        };
        let handled = *ack.lock().unwrap();
        return match wetech_payments::pesapal::parse_ipn(
            method,
            &received.query,
            received.content_type.as_deref(),
            &received.body,
        ) {
            Ok(ipn) => HttpResponse::build(if handled {
                actix_web::http::StatusCode::OK
            } else {
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
            })
            .content_type("application/json")
            .body(ipn.acknowledgement(handled)),
            Err(_) => HttpResponse::BadRequest().finish(),
        };
    }
    HttpResponse::Ok().json(serde_json::json!({"success": true}))
}
