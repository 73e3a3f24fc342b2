//! Applying a gateway result — the one path every Pesapal IPN, browser return, AzamPay callback
//! and reconciliation goes through. In one unit of work: store the raw event under its dedupe key
//! (a duplicate is "already handled"), compare reference, amount, currency (and payer) with the
//! attempt, then move attempt and invoice by conditional updates. A mismatch, a second payment of
//! a paid invoice or a failed signature puts the attempt under `review` with the reason
//! (docs/flow.md); nothing automatic moves it out again, and nothing is settled.

use tracing::Instrument as _;
use wetech_domain::{AttemptEvent, AttemptStatus, InvoiceEvent, InvoiceStatus};
use wetech_payments::azampay::{AzamPayCallback, CallbackRejection};
use wetech_payments::{Gateway, GatewayStatus, IncomingNotification, PaymentGateway, StatusQuery};
use wetech_persistence::repo::attempts::AttemptRow;
use wetech_persistence::repo::{attempts, events, invoices};
use wetech_persistence::{DbConnection, now_utc};

use crate::error::{AppError, chain};
use crate::gateways::domain_gateway;
use crate::payment::{end_open_attempt, truncate};
use crate::usecases::{UseCases, rfc3339};

/// What the gateway told us about one attempt, verified as far as the gateway allows.
#[derive(Debug, Clone)]
pub struct GatewayResult {
    /// Which gateway.
    pub gateway: Gateway,
    /// `ipn`, `return`, `callback` or `reconcile`.
    pub kind: &'static str,
    /// Equal for repeated deliveries of the same fact.
    pub dedupe_key: String,
    /// The raw notification and answer, stored verbatim.
    pub payload: String,
    /// Our merchant reference, as the notification named it.
    pub merchant_reference: String,
    /// The merchant reference the gateway's own record carries (Pesapal status answer), if any.
    pub reported_merchant_reference: Option<String>,
    /// The gateway's reference.
    pub gateway_reference: Option<String>,
    /// The verified status.
    pub status: GatewayStatus,
    /// Amount the notification claims (AzamPay), compared even when it reports a failure.
    pub claimed_amount: Option<wetech_payments::Money>,
    /// The payer's number the notification claims (AzamPay), compared with the attempt's.
    pub payer_msisdn: Option<String>,
}

/// What applying a result did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The attempt completed and the invoice is paid now.
    Settled,
    /// The attempt failed; the invoice is back to unpaid.
    Failed,
    /// The payment was reversed.
    Reversed,
    /// Nothing final yet.
    StillPending,
    /// The same fact was applied before (a duplicate delivery).
    AlreadyHandled,
    /// Stale or irrelevant (e.g. a failure after success); nothing changed.
    Ignored(String),
    /// The attempt is not open (completed, failed, reversed) and this is a new fact about it.
    NotOpen,
    /// Reference, amount, currency or payer do not match (or a success came for an attempt
    /// recorded as failed): the attempt is under review, nothing settled.
    Mismatch(String),
    /// The customer paid, but the invoice was already paid or reversed through another
    /// attempt: the notification is valid and recorded, the attempt is under review for a
    /// refund, and the invoice is unchanged.
    PaidTwice(String),
    /// The attempt is under review: the notification is stored and changes nothing (only a
    /// person moves it on).
    UnderReview,
    /// No attempt of this gateway has this merchant reference.
    UnknownReference,
}

impl Applied {
    /// The outcome without its detail: a bounded metric label.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Applied::Settled => "settled",
            Applied::Failed => "failed",
            Applied::Reversed => "reversed",
            Applied::StillPending => "still_pending",
            Applied::AlreadyHandled => "already_handled",
            Applied::Ignored(_) => "ignored",
            Applied::NotOpen => "attempt_not_open",
            Applied::Mismatch(_) => "flagged_for_review",
            Applied::PaidTwice(_) => "paid_twice",
            Applied::UnderReview => "under_review",
            Applied::UnknownReference => "unknown_reference",
        }
    }

    /// A short text for logs, the event table and `ops reconcile`.
    #[must_use]
    pub fn outcome(&self) -> String {
        match self {
            Applied::Settled => "settled".into(),
            Applied::Failed => "failed".into(),
            Applied::Reversed => "reversed".into(),
            Applied::StillPending => "still_pending".into(),
            Applied::AlreadyHandled => "already_handled".into(),
            Applied::Ignored(why) => format!("ignored: {why}"),
            Applied::NotOpen => "attempt_not_open".into(),
            Applied::Mismatch(why) => format!("flagged_for_review: {why}"),
            Applied::PaidTwice(why) => format!("paid_twice: {why}"),
            Applied::UnderReview => "under_review".into(),
            Applied::UnknownReference => "unknown_reference".into(),
        }
    }
}

impl GatewayResult {
    /// A Pesapal status answer for the attempt `merchant_reference` / `tracking_id`, as IPN and
    /// reconciliation both apply it. The dedupe key (tracking id and verified status) is built
    /// only here, so an IPN and a reconciliation of the same fact always find each other.
    pub(crate) fn pesapal_status(
        kind: &'static str,
        merchant_reference: &str,
        tracking_id: &str,
        report: &wetech_payments::StatusReport,
        payload: String,
    ) -> Self {
        GatewayResult {
            gateway: Gateway::Pesapal,
            kind,
            dedupe_key: format!("{tracking_id}:{}", status_key(&report.status)),
            payload,
            merchant_reference: merchant_reference.to_owned(),
            reported_merchant_reference: report.merchant_reference.clone(),
            gateway_reference: Some(report.gateway_reference.clone()),
            status: report.status.clone(),
            claimed_amount: None,
            payer_msisdn: None,
        }
    }
}

pub(crate) fn status_key(status: &GatewayStatus) -> String {
    match status {
        GatewayStatus::Pending => "pending".into(),
        GatewayStatus::Completed(d) => format!("completed:{}", d.confirmation_code),
        GatewayStatus::Failed { .. } => "failed".into(),
        GatewayStatus::Reversed { .. } => "reversed".into(),
    }
}

/// The HTTP method a notification came with, as stored with its raw form.
fn method_name(method: wetech_payments::NotificationMethod) -> &'static str {
    match method {
        wetech_payments::NotificationMethod::Get => "GET",
        wetech_payments::NotificationMethod::Post => "POST",
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A Tanzanian mobile number in AzamPay's international form, whichever way it was written
/// (`+255 754 000 111`, `255754000111`, `0754000111`), so that two spellings of one number
/// compare equal; anything else as its bare digits.
fn msisdn_digits(s: &str) -> String {
    wetech_payments::azampay::normalize_msisdn(s).unwrap_or_else(|_| digits(s))
}

impl UseCases {
    /// Applies a verified result in one unit of work. Safe under any number of concurrent or
    /// repeated deliveries: the invoice changes at most once.
    pub async fn apply_result(&self, result: GatewayResult) -> Result<Applied, AppError> {
        let gateway = result.gateway.as_str();
        let span = tracing::info_span!(
            "apply_gateway_result",
            gateway = result.gateway.as_str(),
            kind = result.kind,
            payment_id = %result.merchant_reference,
            invoice_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let applied = self
            .blocking(move |uow| uow.write(|tx| apply_in(tx, &result)))
            .instrument(span.clone())
            .await?;
        span.record("outcome", applied.outcome().as_str());
        metrics::counter!(
            "wetech_payment_outcomes_total",
            "gateway" => gateway,
            "outcome" => applied.kind(),
        )
        .increment(1);
        span.in_scope(|| match &applied {
            Applied::Mismatch(why) | Applied::PaidTwice(why) => {
                tracing::warn!(reason = %why, "gateway result put its attempt under review")
            }
            Applied::UnknownReference => tracing::warn!("gateway result for an unknown reference"),
            other => tracing::info!(outcome = %other.outcome(), "gateway result applied"),
        });
        Ok(applied)
    }

    /// A Pesapal IPN or browser return: parse it, ask GetTransactionStatus for the truth, apply.
    /// Returns the parsed IPN (for the acknowledgement) and what was done.
    pub async fn handle_pesapal_notification(
        &self,
        incoming: IncomingNotification,
        kind: &'static str,
    ) -> Result<(wetech_payments::pesapal::PesapalIpn, Applied), PesapalNotificationError> {
        let raw = serde_json::json!({
            "method": method_name(incoming.method),
            "query": incoming.query,
            "body": String::from_utf8_lossy(&incoming.body),
        });
        let handled = self.apply_pesapal_notification(incoming, kind).await;
        let unapplied = match &handled {
            Err(PesapalNotificationError::Malformed(m)) => Some(format!("refused: {m}")),
            Err(PesapalNotificationError::NotHandled(_, e)) => {
                Some(format!("not_handled: {}", chain(e)))
            }
            Ok(_) | Err(PesapalNotificationError::Disabled) => None,
        };
        if let Some(outcome) = unapplied {
            self.keep_unapplied(Gateway::Pesapal, kind, raw.to_string(), outcome)
                .await;
        }
        handled
    }

    async fn apply_pesapal_notification(
        &self,
        incoming: IncomingNotification,
        kind: &'static str,
    ) -> Result<(wetech_payments::pesapal::PesapalIpn, Applied), PesapalNotificationError> {
        let client = self
            .gateways
            .pesapal
            .clone()
            .ok_or(PesapalNotificationError::Disabled)?;
        if kind == "ipn" {
            // The IPN URL gets all three parameters; only the browser return may omit the type.
            wetech_payments::pesapal::parse_ipn_strict(
                incoming.method,
                &incoming.query,
                incoming.content_type.as_deref(),
                &incoming.body,
            )
            .map_err(|e| PesapalNotificationError::Malformed(e.to_string()))?;
        }
        let notification = client
            .verify_notification(&incoming)
            .await
            .map_err(|e| PesapalNotificationError::Malformed(e.to_string()))?;
        let wetech_payments::Notification::Pesapal(ipn) = notification else {
            return Err(PesapalNotificationError::Malformed(
                "not a Pesapal notification".into(),
            ));
        };
        let query = StatusQuery {
            merchant_reference: ipn.merchant_reference.clone(),
            gateway_reference: Some(ipn.order_tracking_id.clone()),
            provider: None,
        };
        let report = match client.query_status(&query).await {
            Ok(r) => r,
            Err(e) => {
                return Err(PesapalNotificationError::NotHandled(
                    ipn,
                    AppError::Gateway(e),
                ));
            }
        };
        let payload = serde_json::json!({
            "method": method_name(incoming.method),
            "query": incoming.query,
            "body": String::from_utf8_lossy(&incoming.body),
            "status_answer": format!("{:?}", report.status),
        })
        .to_string();
        let result = GatewayResult::pesapal_status(
            kind,
            &ipn.merchant_reference,
            &ipn.order_tracking_id,
            &report,
            payload,
        );
        match self.apply_result(result).await {
            Ok(applied) => Ok((ipn, applied)),
            Err(e) => Err(PesapalNotificationError::NotHandled(ipn, e)),
        }
    }

    /// An AzamPay callback: the path token (constant time), the signature when present (or
    /// required), then the result applied with amount and payer checked. A refused callback is
    /// stored raw with why; one whose signature fails also puts its attempt under review.
    pub async fn handle_azampay_callback(
        &self,
        path_token: &str,
        body: &[u8],
    ) -> Result<Applied, AppError> {
        let client = self
            .gateways
            .azampay
            .clone()
            .ok_or(AppError::GatewayDisabled("azampay"))?;
        let callback = match &self.gateways.azampay_callback_token {
            None => Err(AppError::Unauthenticated(
                "no callback token is configured".into(),
            )),
            Some(expected)
                if !wetech_payments::tokens_match(
                    path_token,
                    secrecy::ExposeSecret::expose_secret(expected),
                ) =>
            {
                Err(AppError::Unauthenticated("wrong callback token".into()))
            }
            Some(_) => match client.check_callback(Some(path_token), body).await {
                Ok(callback) => Ok(callback),
                Err(CallbackRejection::BadSignature(callback)) => {
                    return Err(self.badly_signed(&callback, body).await);
                }
                Err(rejection) => Err(rejected(rejection)),
            },
        };
        let callback = match callback {
            Ok(callback) => callback,
            Err(e) => {
                // The body only: the path token is a secret and never stored.
                self.keep_unapplied(
                    Gateway::AzamPay,
                    "callback",
                    String::from_utf8_lossy(body).into_owned(),
                    format!("refused: {}", chain(&e)),
                )
                .await;
                return Err(e);
            }
        };
        if callback.msisdn.is_none() {
            tracing::warn!(
                payment_id = %callback.utility_ref,
                "azampay callback without msisdn: applied on reference and amount alone"
            );
        }
        let notification = wetech_payments::Notification::AzamPay(callback.clone());
        let result = GatewayResult {
            gateway: Gateway::AzamPay,
            kind: "callback",
            dedupe_key: notification.event_key(),
            payload: String::from_utf8_lossy(body).into_owned(),
            merchant_reference: callback.utility_ref.clone(),
            reported_merchant_reference: None,
            gateway_reference: callback.gateway_reference().map(str::to_owned),
            status: callback.status(),
            claimed_amount: Some(callback.amount),
            payer_msisdn: callback.msisdn.clone(),
        };
        self.apply_result(result).await
    }

    /// A callback whose signature does not verify: its attempt (if it names one) under review
    /// and the callback stored with it, in one unit of work; answered 401.
    async fn badly_signed(&self, callback: &AzamPayCallback, body: &[u8]) -> AppError {
        let reason = "the AzamPay callback's signature does not verify";
        let reference = callback.utility_ref.clone();
        let payload = String::from_utf8_lossy(body).into_owned();
        let stored = self
            .blocking(move |uow| {
                uow.write(|tx| {
                    let attempt_id = attempts::find_by_merchant_reference(tx, &reference)?
                        .filter(|a| a.gateway == wetech_domain::Gateway::AzamPay)
                        .map(|a| a.id);
                    if let Some(id) = attempt_id {
                        put_under_review(tx, id, reason, &attempts::AttemptUpdate::default())?;
                    }
                    let key = format!("callback:bad-signature:{}", uuid::Uuid::new_v4());
                    events::record_event(
                        tx,
                        &events::NewEvent {
                            attempt_id,
                            gateway: wetech_domain::Gateway::AzamPay,
                            kind: "callback",
                            dedupe_key: &key,
                            payload: &payload,
                            received_at: now_utc(),
                            outcome: &format!("refused, under review: {reason}"),
                        },
                    )?;
                    Ok::<_, AppError>(attempt_id)
                })
            })
            .await;
        match stored {
            Ok(attempt) => tracing::warn!(
                payment_id = %callback.utility_ref,
                known_attempt = attempt.is_some(),
                reason,
                "azampay callback refused; its attempt is under review"
            ),
            Err(e) => tracing::error!(
                payment_id = %callback.utility_ref,
                error = %chain(&e),
                "could not put the attempt of a badly signed callback under review"
            ),
        }
        AppError::Unauthenticated(reason.to_owned())
    }

    /// Stores a notification that was refused or could not be handled now, with why (every
    /// notification is stored: docs/interface.md, "Data rules"). Best effort: when even that fails, a warning is
    /// logged and the caller's answer stands.
    async fn keep_unapplied(
        &self,
        gateway: Gateway,
        kind: &'static str,
        payload: String,
        outcome: String,
    ) {
        let stored = self
            .blocking(move |uow| {
                uow.write(|tx| {
                    let key = format!("{kind}:unapplied:{}", uuid::Uuid::new_v4());
                    events::record_event(
                        tx,
                        &events::NewEvent {
                            attempt_id: None,
                            gateway: domain_gateway(gateway),
                            kind,
                            dedupe_key: &key,
                            payload: &payload,
                            received_at: now_utc(),
                            outcome: &outcome,
                        },
                    )
                    .map(|_| ())
                    .map_err(AppError::from)
                })
            })
            .await;
        if let Err(e) = stored {
            tracing::warn!(error = %chain(&e), "could not store a notification that was not applied");
        }
    }
}

/// The error a refused callback answers with (other than a bad signature). A key that cannot be
/// fetched is logged at error and answered 503, so AzamPay sends the callback again.
fn rejected(rejection: CallbackRejection) -> AppError {
    match rejection {
        CallbackRejection::Token
        | CallbackRejection::Unsigned(_)
        | CallbackRejection::BadSignature(_) => AppError::Unauthenticated(rejection.to_string()),
        CallbackRejection::Malformed(e) => AppError::Malformed(e.to_string()),
        CallbackRejection::KeyUnavailable(e) => {
            let e = AppError::NotificationKeyUnavailable(e);
            tracing::error!(error = %chain(&e), "azampay callback not checked: the public key is unavailable; AzamPay will send it again");
            e
        }
    }
}

/// Why a Pesapal notification could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum PesapalNotificationError {
    /// Pesapal is not enabled.
    #[error("pesapal is not enabled")]
    Disabled,
    /// Missing or malformed parameters (400).
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// Parsed, but could not be handled now (gateway unreachable, database error): answer 500 so
    /// Pesapal sends it again.
    #[error("the notification could not be handled now")]
    NotHandled(wetech_payments::pesapal::PesapalIpn, #[source] AppError),
}

fn apply_in(tx: &mut DbConnection, r: &GatewayResult) -> Result<Applied, AppError> {
    let now = now_utc();
    let attempt = attempts::find_by_merchant_reference(tx, &r.merchant_reference)?
        .filter(|a| a.gateway == domain_gateway(r.gateway));
    let Some(attempt) = attempt else {
        // Kept aside, so a later retry (once the reference exists) is not swallowed as a
        // duplicate.
        return keep_aside(tx, r, None, "unmatched", Applied::UnknownReference, now);
    };
    if let Some(inv) = invoices::find_by_id(tx, attempt.invoice_id)? {
        tracing::Span::current().record("invoice_id", inv.public_id.as_str());
    }
    if let Err(why) = check(&attempt, r) {
        // Kept aside: a forged or garbled notification must not use up the dedupe key of the
        // genuine one that may follow. The attempt waits for a person (unless it is reversed,
        // which keeps its own state, or already under review).
        put_under_review(tx, attempt.id, &why, &attempts::AttemptUpdate::default())?;
        return keep_aside(
            tx,
            r,
            Some(attempt.id),
            "mismatch",
            Applied::Mismatch(why),
            now,
        );
    }
    if r.gateway == Gateway::AzamPay && !attempt.status.is_open() {
        // A repeat of a fact already applied is "already handled"; a new fact about a closed
        // attempt (e.g. a stale failure after success) changes nothing, and is kept aside so
        // that every repeat of it gets the same answer.
        let (tag, applied) =
            if events::find(tx, domain_gateway(r.gateway), &r.dedupe_key)?.is_some() {
                ("duplicate", Applied::AlreadyHandled)
            } else if attempt.status == AttemptStatus::Review {
                ("review", Applied::UnderReview)
            } else {
                ("not-open", Applied::NotOpen)
            };
        return keep_aside(tx, r, Some(attempt.id), tag, applied, now);
    }
    let recorded = events::record_event(
        tx,
        &event(r, Some(attempt.id), &r.dedupe_key, now, "processing"),
    )?;
    let events::EventInsert::Recorded(ev) = recorded else {
        // Every delivery is stored (docs/interface.md, "Data rules"), the repeats under keys of their own.
        return keep_aside(
            tx,
            r,
            Some(attempt.id),
            "duplicate",
            Applied::AlreadyHandled,
            now,
        );
    };
    let applied = transition(tx, &attempt, r, now)?;
    events::set_outcome(tx, ev.id, Some(attempt.id), &applied.outcome())?;
    Ok(applied)
}

/// Stores a delivery that is not the first application of its fact (unknown reference,
/// mismatch, repeat, news about a closed attempt) under a key of its own, `KEY:TAG:UUID`, with
/// what was done; returns `applied`.
fn keep_aside(
    tx: &mut DbConnection,
    r: &GatewayResult,
    attempt_id: Option<i64>,
    tag: &str,
    applied: Applied,
    now: chrono::NaiveDateTime,
) -> Result<Applied, AppError> {
    let key = format!("{}:{tag}:{}", r.dedupe_key, uuid::Uuid::new_v4());
    events::record_event(tx, &event(r, attempt_id, &key, now, &applied.outcome()))?;
    Ok(applied)
}

fn event<'a>(
    r: &'a GatewayResult,
    attempt_id: Option<i64>,
    key: &'a str,
    now: chrono::NaiveDateTime,
    outcome: &'a str,
) -> events::NewEvent<'a> {
    events::NewEvent {
        attempt_id,
        gateway: domain_gateway(r.gateway),
        kind: r.kind,
        dedupe_key: key,
        payload: &r.payload,
        received_at: now,
        outcome,
    }
}

/// Reference, amount, currency and payer against our record.
fn check(a: &AttemptRow, r: &GatewayResult) -> Result<(), String> {
    if let Some(reported) = &r.reported_merchant_reference
        && !reported.is_empty()
        && reported.as_str() != a.merchant_reference.as_str()
    {
        return Err(format!(
            "the gateway's record names merchant reference {reported:?}"
        ));
    }
    if let (Some(ours), Some(theirs)) = (&a.gateway_reference, &r.gateway_reference)
        && !theirs.is_empty()
        && ours != theirs
        && r.gateway == Gateway::Pesapal
    {
        return Err("the gateway reference differs from the attempt's".into());
    }
    let amount = match &r.status {
        GatewayStatus::Completed(d) => Some(d.amount),
        _ => r.claimed_amount,
    };
    if let Some(amount) = amount {
        if amount.currency().code() != a.currency.as_str() {
            return Err(format!(
                "currency {} differs from {}",
                amount.currency().code(),
                a.currency
            ));
        }
        if amount.minor() != a.amount_minor {
            return Err(format!(
                "amount {} differs from the attempt's",
                amount.to_decimal_string()
            ));
        }
    }
    if let (Some(claimed), Some(ours)) = (&r.payer_msisdn, &a.payer_phone)
        && msisdn_digits(claimed) != msisdn_digits(ours)
    {
        return Err("the payer's number differs from the attempt's".into());
    }
    Ok(())
}

/// Puts the attempt under review (see [`attempts::put_under_review`]). When it was the attempt
/// under way (`initiated`/`pending`) and no other attempt of the invoice is, the invoice goes
/// back to unpaid: the customer is no longer waiting for it, and may pay again. Returns the
/// state it left, `None` when it did not move.
fn put_under_review(
    tx: &mut DbConnection,
    attempt_id: i64,
    why: &str,
    fields: &attempts::AttemptUpdate<'_>,
) -> Result<Option<AttemptStatus>, AppError> {
    let left = attempts::put_under_review(tx, attempt_id, why, fields)?;
    if left.is_some() {
        crate::outbox::under_review(tx, attempt_id, why, wetech_persistence::now_utc())?;
    }
    if matches!(
        left,
        Some(AttemptStatus::Initiated | AttemptStatus::Pending)
    ) {
        let attempt = attempts::find_by_id(tx, attempt_id)?
            .ok_or_else(|| AppError::corrupt("attempt vanished"))?;
        let others_open = attempts::list_for_invoice(tx, attempt.invoice_id)?
            .iter()
            .any(|a| matches!(a.status, AttemptStatus::Initiated | AttemptStatus::Pending));
        if !others_open {
            let next = InvoiceStatus::Pending
                .apply(InvoiceEvent::AttemptEnded)
                .map_err(AppError::from)?;
            invoices::transition_invoice(
                tx,
                attempt.invoice_id,
                InvoiceStatus::Pending,
                next,
                None,
            )?;
        }
    }
    Ok(left)
}

/// Why an attempt changed, for its history: the gateway, the kind of result and what it said.
fn cause(r: &GatewayResult, what: &str) -> String {
    format!("{} {}: {what}", r.gateway.as_str(), r.kind)
}

fn transition(
    tx: &mut DbConnection,
    a: &AttemptRow,
    r: &GatewayResult,
    now: chrono::NaiveDateTime,
) -> Result<Applied, AppError> {
    if a.status == AttemptStatus::Review {
        // Only a person moves it on; the result is stored with the attempt.
        return Ok(Applied::UnderReview);
    }
    let reference = r.gateway_reference.as_deref().filter(|s| !s.is_empty());
    match &r.status {
        GatewayStatus::Pending => {
            if a.status == AttemptStatus::Initiated {
                let fields = attempts::AttemptUpdate {
                    gateway_reference: reference,
                    ..Default::default()
                };
                attempts::transition_attempt(
                    tx,
                    a.id,
                    AttemptStatus::Initiated,
                    AttemptStatus::Pending,
                    &fields,
                    &cause(r, "pending at the gateway"),
                )?;
            }
            Ok(Applied::StillPending)
        }
        GatewayStatus::Completed(details) => {
            let fields = attempts::AttemptUpdate {
                gateway_reference: reference.or(a.gateway_reference.as_deref()),
                payer_account: Some(&details.payer_account)
                    .filter(|s| !s.is_empty())
                    .map(String::as_str),
                method: Some(&details.method)
                    .filter(|s| !s.is_empty())
                    .map(String::as_str),
                confirmation_code: Some(&details.confirmation_code)
                    .filter(|s| !s.is_empty())
                    .map(String::as_str),
                ..Default::default()
            };
            settle(tx, a, r, &fields, now)
        }
        GatewayStatus::Failed { reason } => {
            if !matches!(a.status, AttemptStatus::Initiated | AttemptStatus::Pending) {
                // A stale failure never un-pays, and an expired attempt stays expired.
                return Ok(Applied::Ignored(format!(
                    "failure reported for an attempt already {}",
                    a.status
                )));
            }
            let reason = truncate(reason, 500);
            let fields = attempts::AttemptUpdate {
                gateway_reference: reference,
                failure_reason: Some(&reason),
                ..Default::default()
            };
            end_open_attempt(
                tx,
                a.id,
                AttemptStatus::Failed,
                &fields,
                &cause(r, &format!("failed: {reason}")),
            )?;
            Ok(Applied::Failed)
        }
        GatewayStatus::Reversed { reason } => {
            let reason = truncate(reason, 500);
            let fields = attempts::AttemptUpdate {
                failure_reason: Some(&reason),
                ..Default::default()
            };
            let why = cause(r, &format!("reversed: {reason}"));
            match a.status {
                // Reversed before we saw it paid: the attempt ends, and the invoice it held goes
                // back to unpaid (it was never paid).
                AttemptStatus::Initiated | AttemptStatus::Pending => {
                    end_open_attempt(tx, a.id, AttemptStatus::Reversed, &fields, &why)?;
                }
                // The outcome was unknown; now it is known, and the invoice is not involved.
                AttemptStatus::Expired => {
                    attempts::transition_attempt(
                        tx,
                        a.id,
                        AttemptStatus::Expired,
                        AttemptStatus::Reversed,
                        &fields,
                        &why,
                    )?;
                }
                // A reversal keeps its own state, `reversed`, which is the operator's signal. It
                // un-pays the invoice only when no other payment of it stands.
                AttemptStatus::Completed => {
                    if attempts::transition_attempt(
                        tx,
                        a.id,
                        AttemptStatus::Completed,
                        AttemptStatus::Reversed,
                        &fields,
                        &why,
                    )? && !attempts::list_for_invoice(tx, a.invoice_id)?
                        .iter()
                        .any(|other| other.status == AttemptStatus::Completed)
                    {
                        let next = InvoiceStatus::Paid
                            .apply(InvoiceEvent::PaymentReversed)
                            .map_err(AppError::from)?;
                        invoices::transition_invoice(
                            tx,
                            a.invoice_id,
                            InvoiceStatus::Paid,
                            next,
                            None,
                        )?;
                    }
                }
                AttemptStatus::Failed | AttemptStatus::Reversed | AttemptStatus::Review => {
                    return Ok(Applied::Ignored(format!(
                        "reversal reported for an attempt {}",
                        a.status
                    )));
                }
            }
            Ok(Applied::Reversed)
        }
    }
}

/// A verified success: the attempt completed and its invoice paid — or, when the invoice was
/// already paid through another attempt (the customer paid twice) or the attempt was recorded as
/// failed, the attempt under review and the invoice unchanged.
fn settle(
    tx: &mut DbConnection,
    a: &AttemptRow,
    r: &GatewayResult,
    fields: &attempts::AttemptUpdate<'_>,
    now: chrono::NaiveDateTime,
) -> Result<Applied, AppError> {
    let from = a.status;
    if from == AttemptStatus::Failed {
        let why = "the gateway reports success for an attempt recorded as failed";
        put_under_review(tx, a.id, why, fields)?;
        return Ok(Applied::Mismatch(why.into()));
    }
    if from.apply(AttemptEvent::Succeeded).is_err() && from != AttemptStatus::Initiated {
        return Ok(Applied::Ignored(format!("attempt already {from}")));
    }
    let inv = invoices::find_by_id(tx, a.invoice_id)?
        .ok_or_else(|| AppError::corrupt("attempt without invoice"))?;
    let Ok(paid) = inv.status.apply(InvoiceEvent::AttemptSucceeded) else {
        let why = format!(
            "payment completed but the invoice is already {}: refund or review",
            inv.status
        );
        return Ok(match put_under_review(tx, a.id, &why, fields)? {
            Some(_) => Applied::PaidTwice(why),
            None => Applied::AlreadyHandled,
        });
    };
    let mut from = from;
    if from == AttemptStatus::Initiated {
        // The gateway evidently accepted it; a notification raced our own bookkeeping.
        attempts::transition_attempt(
            tx,
            a.id,
            AttemptStatus::Initiated,
            AttemptStatus::Pending,
            fields,
            &cause(r, "accepted (a result arrived first)"),
        )?;
        from = AttemptStatus::Pending;
    }
    let to = from
        .apply(AttemptEvent::Succeeded)
        .map_err(AppError::from)?;
    if !attempts::transition_attempt(tx, a.id, from, to, fields, &cause(r, "verified success"))? {
        return Ok(Applied::AlreadyHandled);
    }
    if invoices::transition_invoice(tx, inv.id, inv.status, paid, Some(now))? {
        crate::outbox::invoice_paid(tx, inv.id, a.id, now)?;
        tracing::info!(invoice_id = %inv.public_id, paid_at = %rfc3339(now), "invoice paid");
        Ok(Applied::Settled)
    } else {
        let why = "the invoice changed concurrently while settling";
        put_under_review(tx, a.id, why, &attempts::AttemptUpdate::default())?;
        Ok(Applied::Mismatch(why.into()))
    }
}
