//! Reconciliation: attempts left open longer than a threshold are re-checked with the gateway and
//! settled through the same path as a notification; those that cannot be queried are expired.

use std::time::Duration;

use serde::Serialize;
use wetech_domain::{AttemptStatus, Gateway, MerchantReference};
use wetech_payments::{GatewayStatus, PaymentGateway, StatusQuery};
use wetech_persistence::now_utc;
use wetech_persistence::repo::attempts;

use crate::error::{AppError, chain};
use crate::payment::end_open_attempt;
use crate::settle::{Applied, GatewayResult};
use crate::usecases::UseCases;

/// What reconciliation did to one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileChange {
    /// The attempt's merchant reference.
    pub payment_id: MerchantReference,
    /// The attempt's gateway.
    pub gateway: Gateway,
    /// Status before.
    pub from: AttemptStatus,
    /// What happened: `settled`, `failed`, `expired`, `still_pending`, `error: …`, …
    pub outcome: String,
}

const BATCH: i64 = 500;
/// How long a claimed attempt is left to one reconciler before another may take it.
const LEASE_MINUTES: i64 = 5;

impl UseCases {
    /// Re-checks every attempt open (`initiated`/`pending`) for longer than `older_than`.
    /// Pesapal attempts are queried with GetTransactionStatus and applied like a notification;
    /// AzamPay attempts (no documented status query for collections) and Pesapal attempts that
    /// never got a tracking id are expired once older than `checkout.azampay_expire_after_secs`
    /// (a late verified callback still settles them). A Pesapal attempt whose order still answers
    /// "pending" after `checkout.pesapal_expire_after_secs` (an abandoned checkout) is expired
    /// too; a later verified IPN still settles it. Safe to run from several machines at once:
    /// each run claims the attempts it works on with a five-minute lease (`FOR UPDATE SKIP
    /// LOCKED` on PostgreSQL), every change is a conditional update, and every result is
    /// de-duplicated.
    pub async fn reconcile(&self, older_than: Duration) -> Result<Vec<ReconcileChange>, AppError> {
        let cutoff =
            now_utc() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::zero());
        let now = now_utc();
        let lease_until = now + chrono::Duration::minutes(LEASE_MINUTES);
        let open = self
            .blocking(move |uow| {
                uow.write(|tx| {
                    attempts::claim_for_reconcile(
                        tx,
                        &[AttemptStatus::Initiated, AttemptStatus::Pending],
                        cutoff,
                        now,
                        lease_until,
                        BATCH,
                    )
                    .map_err(AppError::from)
                })
            })
            .await?;
        let mut changes = Vec::new();
        for a in open {
            let outcome = self.check_attempt(&a).await;
            if outcome.starts_with("error:") {
                // The check failed: the next run may try again at once (the lease only keeps two
                // reconcilers from checking the attempt at the same time).
                let id = a.id;
                let released = self
                    .blocking(move |uow| {
                        uow.write(|tx| {
                            attempts::release_reconcile_claim(tx, id, lease_until)
                                .map_err(AppError::from)
                        })
                    })
                    .await;
                if let Err(e) = released {
                    tracing::warn!(payment_id = %a.merchant_reference, error = %chain(&e), "cannot release the reconcile lease");
                }
            }
            tracing::info!(payment_id = %a.merchant_reference, gateway = %a.gateway, outcome = %outcome, "reconciled");
            changes.push(ReconcileChange {
                payment_id: a.merchant_reference,
                gateway: a.gateway,
                from: a.status,
                outcome,
            });
        }
        Ok(changes)
    }

    /// Checks one attempt with its gateway now and applies the answer — the one path both
    /// `ops reconcile` (for every claimed attempt) and the back office's "recheck" (for one)
    /// take. Pesapal attempts with a tracking id are queried with GetTransactionStatus and the
    /// answer applied like a notification (an order still pending longer than
    /// `checkout.pesapal_expire_after_secs` is expired); any other attempt older than
    /// `checkout.azampay_expire_after_secs` is expired; a younger one is left as it is. No
    /// transaction is open during the gateway call. Answers the outcome for the report
    /// (`error: …` when the check failed).
    pub(crate) async fn check_attempt(&self, a: &attempts::AttemptRow) -> String {
        let expire_cutoff = age_cutoff(self.checkout.azampay_expire_after_secs);
        let pesapal_cutoff = age_cutoff(self.checkout.pesapal_expire_after_secs);
        match (
            a.gateway,
            a.gateway_reference.clone(),
            self.gateways.pesapal.clone(),
        ) {
            (Gateway::Pesapal, Some(tracking), Some(client)) => {
                let query = StatusQuery {
                    merchant_reference: a.merchant_reference.as_str().to_owned(),
                    gateway_reference: Some(tracking.clone()),
                    provider: None,
                };
                match client.query_status(&query).await {
                    Ok(report) => {
                        let still_pending = report.status == GatewayStatus::Pending;
                        let payload = serde_json::json!({
                            "status_answer": format!("{:?}", report.status),
                        })
                        .to_string();
                        let result = GatewayResult::pesapal_status(
                            "reconcile",
                            a.merchant_reference.as_str(),
                            &tracking,
                            &report,
                            payload,
                        );
                        match self.apply_result(result).await {
                            // Pending again, or pending as an IPN already said.
                            Ok(Applied::StillPending | Applied::AlreadyHandled)
                                if still_pending
                                    && matches!(
                                        a.status,
                                        AttemptStatus::Initiated | AttemptStatus::Pending
                                    )
                                    && a.created_at < pesapal_cutoff =>
                            {
                                self.expire(
                                    a.id,
                                    "the Pesapal order is still pending; expired by reconciliation",
                                    "reconcile: Pesapal still answers pending, too long after the start",
                                )
                                .await
                            }
                            Ok(applied) => applied.outcome(),
                            Err(e) => format!("error: {}", chain(&e)),
                        }
                    }
                    Err(e) => format!("error: {}", chain(&e)),
                }
            }
            _ if a.created_at < expire_cutoff
                && matches!(a.status, AttemptStatus::Initiated | AttemptStatus::Pending) =>
            {
                self.expire(
                    a.id,
                    "no notification received; expired by reconciliation",
                    "reconcile: no notification received in time",
                )
                .await
            }
            _ => "still_pending (cannot be queried yet)".to_owned(),
        }
    }

    /// Expires the open attempt `id` (its invoice back to unpaid) with `reason` (shown with the
    /// attempt) and `cause` (its history); answers the outcome for the run's report.
    async fn expire(&self, id: i64, reason: &'static str, cause: &'static str) -> String {
        let res = self
            .blocking(move |uow| {
                uow.write(|tx| {
                    let fields = attempts::AttemptUpdate {
                        failure_reason: Some(reason),
                        ..Default::default()
                    };
                    end_open_attempt(tx, id, AttemptStatus::Expired, &fields, cause)
                })
            })
            .await;
        match res {
            Ok(()) => "expired".to_owned(),
            Err(e) => format!("error: {}", chain(&e)),
        }
    }
}

/// The creation time before which an attempt is older than `secs`.
fn age_cutoff(secs: u64) -> chrono::NaiveDateTime {
    now_utc() - chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wetech_payments::{HttpOptions, PesapalClient, PesapalConfig};
    use wetech_persistence::{DatabaseSettings, UnitOfWork, connect, run_migrations};

    use super::*;
    use crate::gateways::Gateways;
    use crate::usecases::CheckoutSettings;

    /// Use cases on a fresh SQLite file with one pending Pesapal attempt (`ref-1`, tracking id
    /// `TRK-1`), and a Pesapal client whose server cannot be reached.
    fn with_unreachable_gateway(dir: &std::path::Path) -> UseCases {
        use wetech_persistence::{clients, invoices};
        let settings = DatabaseSettings::new(format!("sqlite://{}/w.sqlite3", dir.display()));
        let pool = connect(&settings).unwrap();
        let mut conn = pool.get().unwrap();
        run_migrations(&mut conn).unwrap();
        let client = clients::upsert_by_email(
            &mut conn,
            &clients::NewClient {
                email: "a@b.tz",
                name: "A",
                phone: "+255700000000",
                company: None,
            },
        )
        .unwrap();
        let invoice = invoices::insert(
            &mut conn,
            &invoices::NewInvoice {
                public_id: wetech_domain::PublicId::generate().as_str(),
                number: "INV-2026-000001",
                client_id: client.id,
                lead_id: None,
                service_code: "WEB-BASIC",
                service_name: "Business website",
                amount_minor: 50_000_000,
                currency: "TZS",
                status: wetech_domain::InvoiceStatus::Pending,
                issued_at: now_utc(),
            },
        )
        .unwrap();
        let attempt = attempts::insert(
            &mut conn,
            &attempts::NewAttempt {
                invoice_id: invoice.id,
                merchant_reference: "ref-1",
                gateway: Gateway::Pesapal,
                amount_minor: 50_000_000,
                currency: "TZS",
                status: AttemptStatus::Pending,
                payer_phone: None,
                provider: None,
            },
        )
        .unwrap();
        attempts::update_details(
            &mut conn,
            attempt.id,
            &attempts::AttemptUpdate {
                gateway_reference: Some("TRK-1"),
                ..Default::default()
            },
        )
        .unwrap();
        drop(conn);
        // The attempt is older than the cutoff of `reconcile(0 s)`.
        std::thread::sleep(Duration::from_millis(5));
        let mut config = PesapalConfig::new("http://127.0.0.1:1/v3", "key", "secret");
        config.http = HttpOptions {
            timeout: Duration::from_secs(2),
            max_retries: 0,
            min_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        };
        let gateways = Gateways {
            pesapal: Some(Arc::new(PesapalClient::new(config).unwrap())),
            azampay: None,
            azampay_callback_token: None,
        };
        UseCases::new(
            UnitOfWork::new(pool),
            gateways,
            "http://localhost",
            CheckoutSettings {
                azampay_expire_after_secs: 86_400,
                pesapal_expire_after_secs: 86_400,
                ..CheckoutSettings::default()
            },
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_check_is_checked_again_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let uc = with_unreachable_gateway(dir.path());
        for run in 0..2 {
            let changes = uc.reconcile(Duration::ZERO).await.unwrap();
            assert_eq!(changes.len(), 1, "run {run}: {changes:?}");
            assert_eq!(changes[0].payment_id, "ref-1");
            assert!(
                changes[0].outcome.starts_with("error:"),
                "run {run}: {changes:?}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_attempt_another_reconciler_holds_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let uc = with_unreachable_gateway(dir.path());
        // Another machine has just claimed the attempt and is checking it.
        let now = now_utc();
        let theirs = now + chrono::Duration::minutes(LEASE_MINUTES);
        let claimed = uc
            .unit_of_work()
            .write(|tx| {
                attempts::claim_for_reconcile(tx, &[AttemptStatus::Pending], now, now, theirs, 10)
            })
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(uc.reconcile(Duration::ZERO).await.unwrap().is_empty());
        // Our failed checks never release a lease that is not ours.
        let released = uc
            .unit_of_work()
            .write(|tx| attempts::release_reconcile_claim(tx, 1, now))
            .unwrap();
        assert!(!released);
        assert!(uc.reconcile(Duration::ZERO).await.unwrap().is_empty());
        // Once they give it up, it is checked again.
        let released = uc
            .unit_of_work()
            .write(|tx| attempts::release_reconcile_claim(tx, 1, theirs))
            .unwrap();
        assert!(released);
        assert_eq!(uc.reconcile(Duration::ZERO).await.unwrap().len(), 1);
    }
}
