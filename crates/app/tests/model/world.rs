//! The real system a story runs against: the use cases on a test database, both gateways played
//! by the simulator over HTTP, and the steps of [`crate::ops::Op`] carried out on them while the
//! model predicts their effect.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use wetech_app::{CheckoutSettings, Gateways, NewLead, PaymentChoice, UseCases};
use wetech_domain::{
    AttemptStatus, EmailAddress, Gateway, PersonName, PhoneNumber, PublicId, ServiceCode,
};
use wetech_gateway_sim::{Endpoint, Fault, RunningSimulator, SimulatorHandle};
use wetech_payments::azampay::AzamPayConfig;
use wetech_payments::pesapal::PesapalConfig;
use wetech_payments::{
    AzamPayClient, HttpOptions, IncomingNotification, MobileProvider, NotificationMethod,
    PesapalClient,
};
use wetech_persistence::repo::{attempts, invoices};
use wetech_test_db::TestDb;

use crate::ops::{CheckoutFault, INVOICES, Op, PHONES, StatusFault, Tamper, Via};
use crate::reference::{Attempt, Fact, Model, StartExpect, Truth};

/// The callback path token (test only).
const CALLBACK_TOKEN: &str = "model-callback-token";
/// The clients give up after this long.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(1500);
/// A "timeout" fault answers after this long (after the client gave up).
const SLOW_ANSWER: Duration = Duration::from_millis(1900);
/// The services invoices are issued for, in turn.
const SERVICES: [&str; 3] = ["WEB-BASIC", "HOSTING", "WEB-PRO"];

/// The use cases and the simulator for one story.
pub struct World {
    /// Checkout settings as in production: a waiting attempt blocks a new start through the
    /// same gateway, AzamPay attempts are not expired yet.
    now: UseCases,
    /// The same system later: no attempt is recent, every AzamPay attempt is old enough to
    /// expire.
    later: UseCases,
    sim: SimulatorHandle,
    invoices: Vec<PublicId>,
}

fn http() -> HttpOptions {
    HttpOptions {
        timeout: CLIENT_TIMEOUT,
        max_retries: 0,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
    }
}

fn gateways(sim: &RunningSimulator) -> Gateways {
    let mut pesapal = PesapalConfig::new(&sim.pesapal_base_url(), "model-key", "model-secret");
    pesapal.http = http();
    let mut azampay = AzamPayConfig::new(
        &sim.azampay_auth_base_url(),
        &sim.azampay_checkout_base_url(),
        "wetech-model",
        "client-id",
        "client-secret",
    );
    azampay.callback_token = Some(SecretString::from(CALLBACK_TOKEN));
    azampay.http = http();
    Gateways {
        pesapal: Some(Arc::new(PesapalClient::new(pesapal).unwrap())),
        azampay: Some(Arc::new(AzamPayClient::new(azampay).unwrap())),
        azampay_callback_token: Some(SecretString::from(CALLBACK_TOKEN)),
    }
}

/// What a step did, for the log of a failing story.
pub type Done = &'static str;

impl World {
    /// The use cases on `db` with `INVOICES` fresh invoices.
    pub async fn new(db: &TestDb, sim: &RunningSimulator) -> World {
        let gateways = gateways(sim);
        let base = "http://127.0.0.1:9";
        let now = UseCases::new(
            db.unit_of_work(),
            gateways.clone(),
            base,
            CheckoutSettings {
                retry_after_secs: 3600,
                azampay_expire_after_secs: 3600,
                pesapal_expire_after_secs: 3600,
            },
        );
        let later = UseCases::new(
            db.unit_of_work(),
            gateways,
            base,
            CheckoutSettings {
                retry_after_secs: 0,
                azampay_expire_after_secs: 0,
                pesapal_expire_after_secs: 0,
            },
        );
        let mut ids = Vec::new();
        for i in 0..INVOICES {
            let lead = NewLead {
                name: PersonName::parse("Asha Mushi").unwrap(),
                email: EmailAddress::parse(&format!("asha{i}@example.com")).unwrap(),
                phone: PhoneNumber::parse(PHONES[0]).unwrap(),
                company: None,
                service: ServiceCode::parse(SERVICES[i % SERVICES.len()]).unwrap(),
                message: None,
                language: wetech_app::Language::En,
            };
            let outcome = now.submit_lead(lead, None).await.unwrap();
            ids.push(outcome.receipt().invoice.id.clone());
        }
        World {
            now,
            later,
            sim: sim.handle().clone(),
            invoices: ids,
        }
    }

    /// The public id of invoice `i`.
    pub fn invoice(&self, i: usize) -> &PublicId {
        &self.invoices[i]
    }

    /// The use cases (for the checks).
    pub fn use_cases(&self) -> &UseCases {
        &self.now
    }

    /// Carries out `op` and lets `model` predict it. Returns what was done, or why the step
    /// cannot be checked.
    pub async fn step(&self, model: &mut Model, op: &Op) -> Result<Done, String> {
        let done = match op {
            Op::Start {
                invoice,
                via,
                fault,
                later,
            } => self.start(model, *invoice, *via, *fault, *later).await?,
            Op::CustomerPays { attempt } => self.customer(model, *attempt, true)?,
            Op::CustomerDeclines { attempt } => self.customer(model, *attempt, false)?,
            Op::GatewayReverses { attempt } => {
                let Some(a) = pick(model, *attempt, |a| {
                    a.gateway == Gateway::Pesapal && a.truth == Truth::Paid
                }) else {
                    return Ok("skipped");
                };
                let tracking = self.order(&model.attempts[a].reference)?.order_tracking_id;
                self.sim
                    .reverse_pesapal_order(&tracking)
                    .map_err(|e| e.to_string())?;
                model.attempts[a].truth = Truth::Reversed;
                "reversed at the gateway"
            }
            Op::PesapalIpn {
                attempt,
                twice,
                fault,
            } => self.pesapal_ipn(model, *attempt, *twice, *fault).await?,
            Op::PesapalReturn { attempt, with_ipn } => {
                let Some(a) = pick(model, *attempt, |a| {
                    a.gateway == Gateway::Pesapal && a.truth != Truth::Nothing
                }) else {
                    return Ok("skipped");
                };
                let reference = model.attempts[a].reference.clone();
                let tracking = self.order(&reference)?.order_tracking_id;
                let query =
                    format!("OrderTrackingId={tracking}&OrderMerchantReference={reference}");
                if *with_ipn {
                    // The browser comes back while the IPN of the same fact is being handled.
                    let ipn = format!("{query}&OrderNotificationType=IPNCHANGE");
                    tokio::join!(
                        self.deliver_pesapal("return", &query, false),
                        self.deliver_pesapal("ipn", &ipn, false)
                    );
                } else {
                    self.deliver_pesapal("return", &query, false).await;
                }
                if let Some(fact) = model.attempts[a].truth.fact() {
                    model.apply(a, fact);
                }
                "returned"
            }
            Op::AzamPayCallback {
                attempt,
                twice,
                tamper,
            } => {
                self.azampay_callback(model, *attempt, *twice, *tamper)
                    .await?
            }
            Op::StaleAzamPayFailure { attempt } => {
                let Some(a) = pick(model, *attempt, |a| a.success_delivered) else {
                    return Ok("skipped");
                };
                let body = self.callback_body(&model.attempts[a].reference, false)?;
                let _ = self
                    .now
                    .handle_azampay_callback(CALLBACK_TOKEN, &body)
                    .await;
                model.apply_callback(a, Fact::Failed);
                "stale failure delivered"
            }
            Op::Reconcile { later, twice } => {
                let uc = if *later {
                    self.leases_run_out();
                    model.leases_expire();
                    &self.later
                } else {
                    &self.now
                };
                let runs = if *twice {
                    // Two machines reconcile at once: each attempt is claimed by one of them.
                    let (a, b) =
                        tokio::join!(uc.reconcile(Duration::ZERO), uc.reconcile(Duration::ZERO));
                    vec![a, b]
                } else {
                    vec![uc.reconcile(Duration::ZERO).await]
                };
                for run in runs {
                    run.map_err(|e| format!("reconcile failed: {e}"))?;
                }
                model.reconcile(*later);
                "reconciled"
            }
        };
        self.sim.clear_faults();
        Ok(done)
    }

    /// The final reconcile: later than every threshold, every lease run out.
    pub async fn final_reconcile(&self, model: &mut Model) -> Result<(), String> {
        self.step(
            model,
            &Op::Reconcile {
                later: true,
                twice: false,
            },
        )
        .await
        .map(|_| ())
    }

    async fn start(
        &self,
        model: &mut Model,
        inv: usize,
        via: Via,
        fault: Option<CheckoutFault>,
        later: bool,
    ) -> Result<Done, String> {
        let (gateway, choice) = match via {
            Via::Pesapal => (Gateway::Pesapal, PaymentChoice::Pesapal),
            Via::AzamPay { phone } => (
                Gateway::AzamPay,
                PaymentChoice::AzamPay {
                    phone: PhoneNumber::parse(PHONES[phone]).unwrap(),
                    provider: MobileProvider::Airtel,
                },
            ),
        };
        let endpoint = match gateway {
            Gateway::Pesapal => Endpoint::PesapalSubmitOrder,
            Gateway::AzamPay => Endpoint::AzamPayMnoCheckout,
        };
        let fault_of = |f: CheckoutFault| match f {
            CheckoutFault::Refused => Fault::Status {
                status: 400,
                body: None,
            },
            CheckoutFault::ServerError => Fault::Status {
                status: 503,
                body: None,
            },
            CheckoutFault::ConnectionLost => Fault::Drop,
            CheckoutFault::Timeout => Fault::Delay(SLOW_ANSWER),
        };
        if let Some(f) = fault {
            self.sim.inject(endpoint, fault_of(f), 1);
        }
        let before = self.references(inv);
        let uc = if later { &self.later } else { &self.now };
        let answer = uc.start_payment(&self.invoices[inv], choice).await;
        let new: Vec<String> = self
            .references(inv)
            .into_iter()
            .filter(|r| !before.contains(r))
            .collect();
        let expect = model.start(inv, gateway, fault, later);
        match expect {
            StartExpect::Conflict => {
                if !matches!(answer, Err(wetech_app::AppError::Conflict(_))) || !new.is_empty() {
                    return Err(format!(
                        "start: expected a 409 and no new attempt, got {answer:?} and {new:?}"
                    ));
                }
                Ok("refused: conflict")
            }
            StartExpect::Started {
                status,
                truth,
                accepted,
            } => {
                let [reference] = new.as_slice() else {
                    return Err(format!(
                        "start: expected one new attempt, got {new:?} ({answer:?})"
                    ));
                };
                if answer.is_ok() != accepted {
                    return Err(format!(
                        "start: expected {}, got {answer:?}",
                        if accepted { "success" } else { "an error" }
                    ));
                }
                if truth != Truth::Nothing {
                    // A slow answer: the gateway acts after the client gave up.
                    self.wait_for_gateway_record(gateway, reference).await?;
                }
                model.add_attempt(Attempt {
                    invoice: inv,
                    gateway,
                    reference: reference.clone(),
                    status,
                    truth,
                    review: None,
                    leased: false,
                    success_delivered: false,
                    settled: false,
                });
                Ok(match status {
                    AttemptStatus::Pending => "started",
                    AttemptStatus::Expired => "start outcome unknown",
                    _ => "start failed",
                })
            }
        }
    }

    fn customer(&self, model: &mut Model, attempt: usize, pays: bool) -> Result<Done, String> {
        let Some(a) = pick(model, attempt, |a| a.truth == Truth::Pending) else {
            return Ok("skipped");
        };
        let reference = model.attempts[a].reference.clone();
        let done = match model.attempts[a].gateway {
            Gateway::Pesapal => {
                let tracking = self.order(&reference)?.order_tracking_id;
                if pays {
                    self.sim.complete_pesapal_order(&tracking)
                } else {
                    self.sim.fail_pesapal_order(&tracking)
                }
            }
            Gateway::AzamPay => {
                let id = self.transaction(&reference)?.transaction_id;
                if pays {
                    self.sim.approve_azampay(&id)
                } else {
                    self.sim.fail_azampay(&id)
                }
            }
        };
        done.map_err(|e| e.to_string())?;
        model.attempts[a].truth = if pays { Truth::Paid } else { Truth::Declined };
        Ok(if pays {
            "paid at the gateway"
        } else {
            "declined at the gateway"
        })
    }

    async fn pesapal_ipn(
        &self,
        model: &mut Model,
        attempt: usize,
        twice: bool,
        fault: Option<StatusFault>,
    ) -> Result<Done, String> {
        let Some(a) = pick(model, attempt, |a| {
            a.gateway == Gateway::Pesapal && a.truth != Truth::Nothing
        }) else {
            return Ok("skipped");
        };
        let mut named = model.attempts[a].reference.clone();
        let order = self.order(&named)?;
        let tracking = order.order_tracking_id.clone();
        let forged = |amount: i64, currency: &str, reference: &str| Fault::Status {
            status: 200,
            body: Some(forged_completion(&tracking, reference, amount, currency)),
        };
        let whole = order.amount.minor() / 100;
        let mut effect: Option<Option<usize>> = None;
        match fault {
            None => {}
            Some(StatusFault::ServerError) => {
                self.sim.fail_next(Endpoint::PesapalStatus, 1, 503);
                effect = Some(None);
            }
            Some(StatusFault::Timeout) => {
                self.sim.delay_next(Endpoint::PesapalStatus, 1, SLOW_ANSWER);
                effect = Some(None);
            }
            Some(StatusFault::WrongAmount) => {
                self.sim
                    .inject(Endpoint::PesapalStatus, forged(whole + 1, "TZS", &named), 1);
                effect = Some(Some(a));
            }
            Some(StatusFault::WrongCurrency) => {
                self.sim
                    .inject(Endpoint::PesapalStatus, forged(whole, "KES", &named), 1);
                effect = Some(Some(a));
            }
            Some(StatusFault::WrongReference) => {
                self.sim.inject(
                    Endpoint::PesapalStatus,
                    forged(whole, "TZS", "someone-elses-reference"),
                    1,
                );
                effect = Some(Some(a));
            }
            Some(StatusFault::NamesOtherAttempt(j)) => {
                let others: Vec<usize> = (0..model.attempts.len())
                    .filter(|&b| b != a && model.attempts[b].gateway == Gateway::Pesapal)
                    .collect();
                if others.is_empty() {
                    named = "no-such-reference".to_owned();
                    effect = Some(None);
                } else {
                    let b = others[j % others.len()];
                    named.clone_from(&model.attempts[b].reference);
                    effect = Some(Some(b));
                }
            }
        }
        let query = format!(
            "OrderTrackingId={tracking}&OrderMerchantReference={named}&OrderNotificationType=IPNCHANGE"
        );
        // A faulted status call fails both deliveries only when both meet the fault.
        let twice = twice && fault.is_none();
        self.deliver_pesapal("ipn", &query, twice).await;
        match effect {
            None => {
                if let Some(fact) = model.attempts[a].truth.fact() {
                    model.apply(a, fact);
                }
            }
            Some(Some(flagged)) => model.mismatch(flagged),
            Some(None) => {}
        }
        if fault == Some(StatusFault::Timeout) {
            // Let the slow answer finish before the next step calls the same endpoint.
            tokio::time::sleep(SLOW_ANSWER - CLIENT_TIMEOUT + Duration::from_millis(100)).await;
        }
        Ok("ipn")
    }

    async fn deliver_pesapal(&self, kind: &'static str, query: &str, twice: bool) {
        let incoming = || IncomingNotification {
            method: NotificationMethod::Get,
            query: query.to_owned(),
            content_type: None,
            body: Vec::new(),
            path_token: None,
        };
        // The answer (200, 500, 400) is the web layer's business; the model checks the state.
        if twice {
            let (_, _) = tokio::join!(
                self.now.handle_pesapal_notification(incoming(), kind),
                self.now.handle_pesapal_notification(incoming(), kind)
            );
        } else {
            let _ = self.now.handle_pesapal_notification(incoming(), kind).await;
        }
    }

    async fn azampay_callback(
        &self,
        model: &mut Model,
        attempt: usize,
        twice: bool,
        tamper: Option<Tamper>,
    ) -> Result<Done, String> {
        let Some(a) = pick(model, attempt, |a| {
            a.gateway == Gateway::AzamPay && matches!(a.truth, Truth::Paid | Truth::Declined)
        }) else {
            return Ok("skipped");
        };
        let success = model.attempts[a].truth == Truth::Paid;
        let body = self.callback_body(&model.attempts[a].reference, success)?;
        let mut v: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        match tamper {
            None => {}
            Some(Tamper::Amount) => v["amount"] = json!("1000"),
            Some(Tamper::Payer) => v["msisdn"] = json!("255713000999"),
            Some(Tamper::UnknownReference) => {
                v["utilityref"] = json!("no-such-reference");
                if v.get("externalreference").is_some() {
                    v["externalreference"] = json!("no-such-reference");
                }
                if let Some(o) = v.as_object_mut() {
                    o.remove("signature");
                }
            }
            Some(Tamper::BadSignature) => {
                v["signature"] = json!(format!("{}==", "A".repeat(342)));
            }
        }
        let body = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
        if twice {
            let (_, _) = tokio::join!(
                self.now.handle_azampay_callback(CALLBACK_TOKEN, &body),
                self.now.handle_azampay_callback(CALLBACK_TOKEN, &body)
            );
        } else {
            let _ = self
                .now
                .handle_azampay_callback(CALLBACK_TOKEN, &body)
                .await;
        }
        match tamper {
            None => {
                let fact = if success {
                    model.attempts[a].success_delivered = true;
                    Fact::Completed
                } else {
                    Fact::Failed
                };
                model.apply_callback(a, fact);
            }
            Some(Tamper::Amount | Tamper::Payer) => model.mismatch(a),
            Some(Tamper::UnknownReference) => {}
            Some(Tamper::BadSignature) => model.signature_failed(a),
        }
        Ok("callback")
    }

    /// The callback AzamPay sends for the attempt `reference` with this outcome (signed).
    fn callback_body(&self, reference: &str, success: bool) -> Result<Vec<u8>, String> {
        let id = self.transaction(reference)?.transaction_id;
        self.sim
            .azampay_callback_body(&id, success)
            .map_err(|e| e.to_string())
    }

    /// Every reconcile lease runs out (five minutes pass).
    fn leases_run_out(&self) {
        use diesel::RunQueryDsl as _;
        self.now
            .unit_of_work()
            .write(|tx| {
                diesel::sql_query("UPDATE payment_attempts SET reconcile_claimed_until = NULL")
                    .execute(tx)
                    .map_err(wetech_persistence::PersistenceError::from)
            })
            .unwrap();
    }

    /// The merchant references of invoice `inv`'s attempts.
    fn references(&self, inv: usize) -> Vec<String> {
        let id = self.invoices[inv].clone();
        self.now
            .unit_of_work()
            .read(|c| {
                let invoice = invoices::find_by_public_id(c, id.as_str())?.unwrap();
                attempts::list_for_invoice(c, invoice.id)
            })
            .unwrap()
            .into_iter()
            .map(|a| a.merchant_reference.as_str().to_owned())
            .collect()
    }

    fn order(&self, reference: &str) -> Result<wetech_gateway_sim::OrderView, String> {
        self.sim
            .pesapal_orders()
            .into_iter()
            .find(|o| o.merchant_reference == reference)
            .ok_or_else(|| format!("the simulator has no Pesapal order {reference}"))
    }

    fn transaction(&self, reference: &str) -> Result<wetech_gateway_sim::TransactionView, String> {
        self.sim
            .azampay_transactions()
            .into_iter()
            .find(|t| t.external_id == reference)
            .ok_or_else(|| format!("the simulator has no AzamPay transaction {reference}"))
    }

    async fn wait_for_gateway_record(
        &self,
        gateway: Gateway,
        reference: &str,
    ) -> Result<(), String> {
        for _ in 0..100 {
            let found = match gateway {
                Gateway::Pesapal => self.order(reference).is_ok(),
                Gateway::AzamPay => self.transaction(reference).is_ok(),
            };
            if found {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("the gateway never recorded {reference}"))
    }
}

/// Resolves an attempt index among the attempts `fits` accepts.
fn pick(model: &Model, index: usize, fits: impl Fn(&Attempt) -> bool) -> Option<usize> {
    let fitting: Vec<usize> = (0..model.attempts.len())
        .filter(|&a| fits(&model.attempts[a]))
        .collect();
    (!fitting.is_empty()).then(|| fitting[index % fitting.len()])
}

/// A GetTransactionStatus answer reporting completion, with the given amount (whole units),
/// currency and merchant reference (a forged or garbled answer).
fn forged_completion(tracking: &str, reference: &str, amount: i64, currency: &str) -> String {
    json!({
        "payment_method": "Visa",
        "amount": amount,
        "created_date": "2026-01-01T10:00:00.00",
        "confirmation_code": "FORGED0001",
        "order_tracking_id": tracking,
        "payment_status_description": "Completed",
        "description": "Payment completed successfully",
        "message": "Request processed successfully",
        "payment_account": "476173**0010",
        "call_back_url": "http://127.0.0.1:9/payments/pesapal/return",
        "status_code": 1,
        "merchant_reference": reference,
        "payment_status_code": "",
        "currency": currency,
        "error": {"error_type": null, "code": null, "message": null, "call_back_url": null},
        "status": "200"
    })
    .to_string()
}
