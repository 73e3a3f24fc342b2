//! Reconciliation: attempts left open longer than a threshold are re-checked with the gateway and
//! settled through the same path as a notification; those that cannot be queried are expired.

use std::time::Duration;

use serde::Serialize;
use wetech_domain::AttemptStatus;
use wetech_payments::{PaymentGateway, StatusQuery};
use wetech_persistence::now_utc;
use wetech_persistence::repo::attempts;

use crate::error::AppError;
use crate::payment::end_open_attempt;
use crate::settle::GatewayResult;
use crate::usecases::UseCases;

/// What reconciliation did to one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileChange {
    /// The attempt's merchant reference.
    pub payment_id: String,
    /// `pesapal` or `azampay`.
    pub gateway: String,
    /// Status before.
    pub from: String,
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
    /// (a late verified callback still settles them). Safe to run from several machines at once:
    /// each run claims the attempts it works on with a five-minute lease (`FOR UPDATE SKIP
    /// LOCKED` on PostgreSQL), every change is a conditional update, and every result is
    /// de-duplicated.
    pub async fn reconcile(&self, older_than: Duration) -> Result<Vec<ReconcileChange>, AppError> {
        let cutoff =
            now_utc() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::zero());
        let expire_cutoff = now_utc()
            - chrono::Duration::seconds(
                i64::try_from(self.checkout.azampay_expire_after_secs).unwrap_or(i64::MAX / 2),
            );
        let open = self
            .blocking(move |uow| {
                uow.write(|tx| {
                    let now = now_utc();
                    attempts::claim_for_reconcile(
                        tx,
                        &[AttemptStatus::Initiated, AttemptStatus::Pending],
                        cutoff,
                        now,
                        now + chrono::Duration::minutes(LEASE_MINUTES),
                        BATCH,
                    )
                    .map_err(AppError::from)
                })
            })
            .await?;
        let mut changes = Vec::new();
        for a in open {
            let outcome = match (
                a.gateway.as_str(),
                a.gateway_reference.clone(),
                self.gateways.pesapal.clone(),
            ) {
                ("pesapal", Some(tracking), Some(client)) => {
                    let query = StatusQuery {
                        merchant_reference: a.merchant_reference.clone(),
                        gateway_reference: Some(tracking.clone()),
                        provider: None,
                    };
                    match client.query_status(&query).await {
                        Ok(report) => {
                            let payload = serde_json::json!({
                                "status_answer": format!("{:?}", report.status),
                            })
                            .to_string();
                            let result = GatewayResult::pesapal_status(
                                "reconcile",
                                &a.merchant_reference,
                                &tracking,
                                &report,
                                payload,
                            );
                            match self.apply_result(result).await {
                                Ok(applied) => applied.outcome(),
                                Err(e) => format!("error: {e}"),
                            }
                        }
                        Err(e) => format!("error: {e}"),
                    }
                }
                _ if a.created_at < expire_cutoff => {
                    let id = a.id;
                    let res = self
                        .blocking(move |uow| {
                            uow.write(|tx| {
                                let fields = attempts::AttemptUpdate {
                                    failure_reason: Some(
                                        "no notification received; expired by reconciliation",
                                    ),
                                    ..Default::default()
                                };
                                end_open_attempt(tx, id, AttemptStatus::Expired, &fields)
                            })
                        })
                        .await;
                    match res {
                        Ok(()) => "expired".to_owned(),
                        Err(e) => format!("error: {e}"),
                    }
                }
                _ => "still_pending (cannot be queried yet)".to_owned(),
            };
            tracing::info!(payment_id = %a.merchant_reference, gateway = %a.gateway, outcome = %outcome, "reconciled");
            changes.push(ReconcileChange {
                payment_id: a.merchant_reference,
                gateway: a.gateway,
                from: a.status.as_str().to_owned(),
                outcome,
            });
        }
        Ok(changes)
    }
}
