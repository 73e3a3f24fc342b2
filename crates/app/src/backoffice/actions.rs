//! The back office's money actions (docs/back-office.md, "Actions"): void an unpaid invoice,
//! resolve a payment under review, recheck a payment with its gateway, refund a payment. Each
//! state change is one unit of work that writes its audit entry in the same transaction; a
//! gateway call (the recheck's status query, Pesapal's RefundRequest) happens between units of
//! work, never inside one. The web layer checks the role (`admin` for all but the recheck).

use serde_json::{Value, json};
use wetech_domain::{
    AttemptStatus, Gateway, InvoiceEvent, InvoiceNumber, InvoiceStatus, MerchantReference, Money,
    PublicId, ReviewDecision,
};
use wetech_payments::GatewayError;
use wetech_payments::pesapal::RefundRequest;
use wetech_persistence::repo::refunds::{self, RefundState};
use wetech_persistence::repo::{attempts, invoices};
use wetech_persistence::{DbConnection, now_utc};

use super::StaffError;
use super::audit::{self, Actor, Entry};
use crate::error::{AppError, Internal};
use crate::leads::stored_money;
use crate::usecases::UseCases;

/// Longest note of a resolution, and longest reason of a refund.
pub const MAX_NOTE_CHARS: usize = 1000;
/// Longest reference of a refund made outside the gateway.
pub const MAX_EXTERNAL_REFERENCE_CHARS: usize = 100;

/// A payment attempt as the action pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTarget {
    /// The attempt's merchant reference (the `{id}` of `/admin/payments/{id}/…`).
    pub reference: MerchantReference,
    /// Its gateway.
    pub gateway: Gateway,
    /// Where it stands.
    pub status: AttemptStatus,
    /// The amount it asked for.
    pub amount: Money,
    /// What has been refunded of it so far (requested or recorded refunds).
    pub refunded: Money,
    /// Why it is under review, when it is.
    pub review_reason: Option<String>,
    /// Its invoice's public id.
    pub invoice_public_id: PublicId,
    /// Its invoice's number.
    pub invoice_number: InvoiceNumber,
    /// Where its invoice stands.
    pub invoice_status: InvoiceStatus,
}

impl PaymentTarget {
    /// What may still be refunded: the rest of a completed payment or of one under review
    /// (a paid-twice attempt), nothing of any other.
    #[must_use]
    pub fn refundable_minor(&self) -> i64 {
        match self.status {
            AttemptStatus::Completed | AttemptStatus::Review => {
                (self.amount.minor() - self.refunded.minor()).max(0)
            }
            _ => 0,
        }
    }

    /// Whether a recheck with the gateway can change anything (the attempt is still open).
    #[must_use]
    pub fn can_recheck(&self) -> bool {
        self.status.is_open()
    }
}

/// An invoice as the void page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceTarget {
    /// Public id.
    pub public_id: PublicId,
    /// `INV-YYYY-NNNNNN`.
    pub number: InvoiceNumber,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// The amount due.
    pub amount: Money,
    /// The service name at issue.
    pub service_name: String,
}

/// What a refund form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundInput<'a> {
    /// The amount, as a decimal in the payment's currency (`"500000.00"`).
    pub amount: &'a str,
    /// Why (sent to Pesapal as `remarks`).
    pub reason: &'a str,
    /// For a refund made outside the gateway's API (AzamPay): its reference.
    pub external_reference: Option<&'a str>,
}

/// What a refund did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundDone {
    /// The payment after it.
    pub payment: PaymentTarget,
    /// The refund row's state: `requested` (Pesapal queued it), `recorded` (made outside),
    /// `refused` (Pesapal said no).
    pub state: RefundState,
    /// What the gateway answered, when it was asked.
    pub answer: Option<String>,
}

impl UseCases {
    /// The payment attempt with merchant reference `reference`.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown reference; a database error.
    pub async fn payment_target(&self, reference: &str) -> Result<PaymentTarget, AppError> {
        let reference = reference.to_owned();
        self.blocking(move |uow| uow.read(|c| load_payment(c, &reference)))
            .await
    }

    /// The invoice with public id `public_id`.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown id; a database error.
    pub async fn invoice_target(&self, public_id: &str) -> Result<InvoiceTarget, AppError> {
        let public_id = public_id.to_owned();
        self.blocking(move |uow| uow.read(|c| load_invoice(c, &public_id).map(|(t, _)| t)))
            .await
    }

    /// Voids the unpaid invoice `public_id` (it can then never be paid), with an audit entry
    /// `invoice.void`.
    ///
    /// # Errors
    /// [`AppError::NotFound`]; [`AppError::Conflict`] when it is not unpaid (paid, a payment
    /// under way, already void); a database error.
    pub async fn void_invoice(
        &self,
        public_id: &str,
        actor: &Actor,
    ) -> Result<InvoiceTarget, AppError> {
        let public_id = public_id.to_owned();
        let actor = actor.clone();
        self.blocking(move |uow| {
            uow.write(|tx| {
                let (target, id) = load_invoice(tx, &public_id)?;
                let Ok(void) = target.status.apply(InvoiceEvent::Voided) else {
                    return Err(AppError::Conflict(format!(
                        "only an unpaid invoice can be voided; this one is {}",
                        target.status
                    )));
                };
                if !invoices::transition_invoice(tx, id, target.status, void, None)? {
                    return Err(AppError::Conflict(
                        "the invoice changed meanwhile; look at it again".into(),
                    ));
                }
                write_audit(
                    tx,
                    &actor,
                    "invoice.void",
                    &format!("invoice:{}", target.number),
                    json!({"status": target.status}),
                    json!({"status": void}),
                )?;
                tracing::info!(invoice_id = %target.public_id, "invoice voided");
                Ok(InvoiceTarget {
                    status: void,
                    ..target
                })
            })
        })
        .await
    }

    /// Ends the review of payment `reference` as a person decided, with their `note`:
    /// `completed` pays its invoice (refused when the invoice is already paid, by another
    /// payment, or otherwise closed: refund this one instead); `failed` puts a pending invoice
    /// back to unpaid when no other payment of it is under way. Audit entry `payment.resolve`.
    ///
    /// # Errors
    /// [`AppError::Validation`] (`note`) for an empty or too long note; [`AppError::NotFound`];
    /// [`AppError::Conflict`] when the payment is not under review, or as above; a database
    /// error.
    pub async fn resolve_review(
        &self,
        reference: &str,
        decision: ReviewDecision,
        note: &str,
        actor: &Actor,
    ) -> Result<PaymentTarget, AppError> {
        let note = required_text("note", note, MAX_NOTE_CHARS)?;
        let reference = reference.to_owned();
        let actor = actor.clone();
        self.blocking(move |uow| {
            uow.write(|tx| {
                let before = load_payment(tx, &reference)?;
                let Ok(to) = before.status.resolve(decision) else {
                    return Err(AppError::Conflict(format!(
                        "the payment is not under review; it is {}",
                        before.status
                    )));
                };
                let row = attempt_row(tx, &reference)?;
                let cause = format!("resolved as {} by {}: {note}", decision.as_str(), actor.email);
                if decision == ReviewDecision::Completed {
                    let Ok(paid) = before.invoice_status.apply(InvoiceEvent::AttemptSucceeded)
                    else {
                        return Err(AppError::Conflict(format!(
                            "the invoice is already {}; this payment cannot also pay it — refund it instead",
                            before.invoice_status
                        )));
                    };
                    change_attempt(tx, row.id, to, &cause)?;
                    if !invoices::transition_invoice(
                        tx,
                        row.invoice_id,
                        before.invoice_status,
                        paid,
                        Some(now_utc()),
                    )? {
                        return Err(changed_meanwhile());
                    }
                } else {
                    change_attempt(tx, row.id, to, &cause)?;
                    release_pending_invoice(tx, row.invoice_id)?;
                }
                let after = load_payment(tx, &reference)?;
                write_audit(
                    tx,
                    &actor,
                    "payment.resolve",
                    &format!("payment:{reference}"),
                    payment_json(&before),
                    json!({"payment": after.status, "invoice": after.invoice_status, "note": note}),
                )?;
                Ok(after)
            })
        })
        .await
    }

    /// Asks the gateway about payment `reference` now and applies the answer exactly as `ops
    /// reconcile` does for each attempt it checks (one function does both; no transaction is
    /// open during the call), then writes an audit entry `payment.recheck` with the state before
    /// and after and the outcome. Answers the payment after it and the outcome's text.
    ///
    /// # Errors
    /// [`AppError::NotFound`]; [`AppError::Conflict`] when the payment is no longer open
    /// (completed, failed, reversed, under review: the gateway's word cannot change it); a
    /// database error. A failed gateway call is an outcome (`error: …`), not an error.
    pub async fn recheck_payment(
        &self,
        reference: &str,
        actor: &Actor,
    ) -> Result<(PaymentTarget, String), AppError> {
        let before = self.payment_target(reference).await?;
        if !before.can_recheck() {
            return Err(AppError::Conflict(format!(
                "the payment is {}; only an open payment can be rechecked",
                before.status
            )));
        }
        let owned = reference.to_owned();
        let row = self
            .blocking(move |uow| uow.read(|c| attempt_row(c, &owned)))
            .await?;
        let outcome = self.check_attempt(&row).await;
        tracing::info!(payment_id = %row.merchant_reference, outcome = %outcome, "rechecked from the back office");
        let owned = reference.to_owned();
        let actor = actor.clone();
        let outcome_text = outcome.clone();
        let after = self
            .blocking(move |uow| {
                uow.write(|tx| {
                    let after = load_payment(tx, &owned)?;
                    write_audit(
                        tx,
                        &actor,
                        "payment.recheck",
                        &format!("payment:{owned}"),
                        payment_json(&before),
                        json!({"payment": after.status, "invoice": after.invoice_status, "outcome": outcome_text}),
                    )?;
                    Ok(after)
                })
            })
            .await?;
        Ok((after, outcome))
    }

    /// Refunds `input.amount` of payment `reference` (completed, or under review: a paid-twice
    /// payment), at most what was paid and not yet refunded. Pesapal: a RefundRequest is sent
    /// (outside any transaction), then the refund row is written with Pesapal's answer
    /// (`requested` when queued for approval, `refused` with its message); AzamPay has no
    /// refund call: the refund is recorded as made outside with `input.external_reference`.
    /// When the refunds of a completed payment reach its whole amount, its invoice becomes
    /// `refunded`; when they reach the whole amount of a payment under review, the review ends
    /// as `failed` (the money went back; the invoice stays as the other payment left it).
    /// Audit entry `payment.refund`.
    ///
    /// # Errors
    /// [`AppError::Validation`] (`amount`, `reason`, `external_reference`); [`AppError::NotFound`];
    /// [`AppError::Conflict`] when the payment cannot be refunded (not completed nor under
    /// review, no Pesapal confirmation code, a refund already sent); [`AppError::Gateway`] when
    /// Pesapal provably never got the request (nothing recorded); a database error.
    pub async fn refund_payment(
        &self,
        reference: &str,
        input: &RefundInput<'_>,
        actor: &Actor,
    ) -> Result<RefundDone, AppError> {
        let reason = required_text("reason", input.reason, MAX_NOTE_CHARS)?;
        let target = self.payment_target(reference).await?;
        if !matches!(
            target.status,
            AttemptStatus::Completed | AttemptStatus::Review
        ) {
            return Err(AppError::Conflict(format!(
                "only a completed payment, or one under review, can be refunded; this one is {}",
                target.status
            )));
        }
        let amount = Money::parse_decimal(input.amount.trim(), target.amount.currency())
            .map_err(|e| AppError::field("amount", e.to_string()))?;
        check_amount(&target, &amount)?;
        let owned = reference.to_owned();
        let row = self
            .blocking(move |uow| uow.read(|c| attempt_row(c, &owned)))
            .await?;
        let (state, answer, external) = match target.gateway {
            Gateway::Pesapal => {
                let (state, answer) = self
                    .request_pesapal_refund(&row, &amount, &reason, actor)
                    .await?;
                (state, Some(answer), None)
            }
            Gateway::AzamPay => {
                let external = required_text(
                    "external_reference",
                    input.external_reference.unwrap_or_default(),
                    MAX_EXTERNAL_REFERENCE_CHARS,
                )?;
                (RefundState::Recorded, None, Some(external))
            }
        };
        let owned = reference.to_owned();
        let actor = actor.clone();
        let stored_answer = answer.clone();
        let payment = self
            .blocking(move |uow| {
                uow.write(|tx| {
                    let before = load_payment(tx, &owned)?;
                    if state.counts() {
                        // A concurrent refund may have taken the rest meanwhile; a Pesapal
                        // refund already sent is recorded all the same (it happened).
                        if before.gateway != Gateway::Pesapal {
                            check_amount(&before, &amount)?;
                        }
                    }
                    refunds::insert(
                        tx,
                        &refunds::NewRefund {
                            attempt_id: row.id,
                            amount_minor: amount.minor(),
                            currency: amount.currency().as_str(),
                            reason: &reason,
                            staff_id: actor.staff_id,
                            state,
                            gateway_answer: stored_answer.as_deref(),
                            external_reference: external.as_deref(),
                            created_at: now_utc(),
                        },
                    )?;
                    if state.counts() {
                        settle_refund(tx, &before, row.id, row.invoice_id, amount.minor(), &actor)?;
                    }
                    let after = load_payment(tx, &owned)?;
                    write_audit(
                        tx,
                        &actor,
                        "payment.refund",
                        &format!("payment:{owned}"),
                        payment_json(&before),
                        json!({
                            "payment": after.status,
                            "invoice": after.invoice_status,
                            "refunded": after.refunded.to_decimal_string(),
                            "refund": {
                                "amount": amount.to_decimal_string(),
                                "currency": amount.currency().as_str(),
                                "state": state.as_str(),
                                "reason": reason,
                                "answer": stored_answer,
                                "external_reference": external,
                            },
                        }),
                    )?;
                    Ok(after)
                })
            })
            .await?;
        Ok(RefundDone {
            payment,
            state,
            answer,
        })
    }

    /// Sends Pesapal's RefundRequest for attempt `row` (between units of work) and turns its
    /// answer into the refund row's state and text.
    async fn request_pesapal_refund(
        &self,
        row: &attempts::AttemptRow,
        amount: &Money,
        reason: &str,
        actor: &Actor,
    ) -> Result<(RefundState, String), AppError> {
        let client = self
            .gateways
            .pesapal
            .clone()
            .ok_or(AppError::GatewayDisabled("pesapal"))?;
        let Some(code) = row
            .confirmation_code
            .clone()
            .filter(|c| !c.trim().is_empty())
        else {
            return Err(AppError::Conflict(
                "Pesapal gave no confirmation code for this payment, so it cannot be refunded through Pesapal's API"
                    .into(),
            ));
        };
        let currency = wetech_payments::Currency::parse(amount.currency().as_str())
            .map_err(AppError::corrupt)?;
        let request = RefundRequest {
            confirmation_code: code,
            amount: wetech_payments::Money::new(amount.minor(), currency),
            username: actor.email.clone(),
            remarks: reason.to_owned(),
        };
        match client.refund(&request).await {
            Ok(message) => Ok((RefundState::Requested, message)),
            Err(GatewayError::Rejected { code, .. }) if code == "refund_already_sent" => Err(
                AppError::Conflict("a refund of this payment was already sent to Pesapal".into()),
            ),
            Err(GatewayError::Rejected { message, .. }) => Ok((RefundState::Refused, message)),
            Err(e) if !e.may_have_reached_gateway() => Err(AppError::Gateway(e)),
            // It may have been queued: counted as requested, so nobody sends a second one.
            Err(e) => Ok((
                RefundState::Requested,
                format!(
                    "no clear answer from Pesapal ({}); the refund may be queued: check Pesapal's dashboard",
                    crate::error::chain(&e)
                ),
            )),
        }
    }
}

/// After a counted refund of `amount_minor` of attempt `attempt_id` (state `before` the
/// refund): a completed payment refunded in whole makes its paid invoice `refunded`; a payment
/// under review refunded in whole ends its review as `failed`.
fn settle_refund(
    tx: &mut DbConnection,
    before: &PaymentTarget,
    attempt_id: i64,
    invoice_id: i64,
    amount_minor: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    let whole = before.refunded.minor() + amount_minor >= before.amount.minor();
    if !whole {
        return Ok(());
    }
    match before.status {
        AttemptStatus::Completed if before.invoice_status == InvoiceStatus::Paid => {
            let refunded = InvoiceStatus::Paid
                .apply(InvoiceEvent::FullyRefunded)
                .map_err(AppError::from)?;
            if !invoices::transition_invoice(tx, invoice_id, InvoiceStatus::Paid, refunded, None)? {
                return Err(changed_meanwhile());
            }
        }
        AttemptStatus::Review => {
            let to = AttemptStatus::Review
                .resolve(ReviewDecision::Failed)
                .map_err(AppError::from)?;
            let cause = format!("refunded in full by {}; review ended", actor.email);
            change_attempt(tx, attempt_id, to, &cause)?;
            release_pending_invoice(tx, invoice_id)?;
        }
        _ => {}
    }
    Ok(())
}

/// `amount` is positive and at most what may still be refunded of `target`.
fn check_amount(target: &PaymentTarget, amount: &Money) -> Result<(), AppError> {
    let left = target.refundable_minor();
    if amount.minor() <= 0 {
        return Err(AppError::field(
            "amount",
            "the amount must be more than zero",
        ));
    }
    if amount.minor() > left {
        let left = stored_money(left, target.amount.currency())?;
        return Err(AppError::field(
            "amount",
            format!(
                "at most {} {} can still be refunded of this payment",
                left.to_decimal_string(),
                left.currency()
            ),
        ));
    }
    Ok(())
}

/// Moves attempt `id` out of review to `to`; losing the race is a conflict.
fn change_attempt(
    tx: &mut DbConnection,
    id: i64,
    to: AttemptStatus,
    cause: &str,
) -> Result<(), AppError> {
    let fields = attempts::AttemptUpdate::default();
    if attempts::transition_attempt(tx, id, AttemptStatus::Review, to, &fields, cause)? {
        Ok(())
    } else {
        Err(changed_meanwhile())
    }
}

/// A pending invoice with no open payment left goes back to unpaid (the customer may pay).
fn release_pending_invoice(tx: &mut DbConnection, invoice_id: i64) -> Result<(), AppError> {
    let open = attempts::list_for_invoice(tx, invoice_id)?
        .iter()
        .any(|a| matches!(a.status, AttemptStatus::Initiated | AttemptStatus::Pending));
    if !open {
        invoices::transition_invoice(
            tx,
            invoice_id,
            InvoiceStatus::Pending,
            InvoiceStatus::Unpaid,
            None,
        )?;
    }
    Ok(())
}

fn changed_meanwhile() -> AppError {
    AppError::Conflict("the payment or its invoice changed meanwhile; look at it again".into())
}

/// `text` trimmed, required and at most `max` characters, or a validation failure of `field`.
fn required_text(field: &str, text: &str, max: usize) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::field(field, "required"));
    }
    if text.chars().count() > max {
        return Err(AppError::field(field, format!("at most {max} characters")));
    }
    Ok(text.to_owned())
}

fn attempt_row(c: &mut DbConnection, reference: &str) -> Result<attempts::AttemptRow, AppError> {
    attempts::find_by_merchant_reference(c, reference)?.ok_or(AppError::NotFound("payment"))
}

fn load_payment(c: &mut DbConnection, reference: &str) -> Result<PaymentTarget, AppError> {
    let a = attempt_row(c, reference)?;
    let inv = invoices::find_by_id(c, a.invoice_id)?
        .ok_or_else(|| AppError::corrupt("payment attempt without invoice"))?;
    let refunded = refunds::refunded_minor(c, a.id)?;
    Ok(PaymentTarget {
        amount: stored_money(a.amount_minor, a.currency)?,
        refunded: stored_money(refunded, a.currency)?,
        reference: a.merchant_reference,
        gateway: a.gateway,
        status: a.status,
        review_reason: a.review_reason,
        invoice_public_id: inv.public_id,
        invoice_number: inv.number,
        invoice_status: inv.status,
    })
}

fn load_invoice(c: &mut DbConnection, public_id: &str) -> Result<(InvoiceTarget, i64), AppError> {
    let inv = invoices::find_by_public_id(c, public_id)?.ok_or(AppError::NotFound("invoice"))?;
    Ok((
        InvoiceTarget {
            amount: stored_money(inv.amount_minor, inv.currency)?,
            public_id: inv.public_id,
            number: inv.number,
            status: inv.status,
            service_name: inv.service_name,
        },
        inv.id,
    ))
}

fn payment_json(p: &PaymentTarget) -> Value {
    json!({
        "payment": p.status,
        "invoice": p.invoice_status,
        "refunded": p.refunded.to_decimal_string(),
    })
}

/// Writes the action's audit entry in its transaction.
fn write_audit(
    tx: &mut DbConnection,
    actor: &Actor,
    action: &str,
    subject: &str,
    before: Value,
    after: Value,
) -> Result<(), AppError> {
    audit::write(
        tx,
        actor,
        now_utc(),
        Entry {
            action,
            subject: Some(subject),
            before: Some(before),
            after: Some(after),
        },
    )
    .map_err(|e| match e {
        StaffError::Persistence(p) => AppError::Persistence(p),
        _ => AppError::Internal(Internal::Invariant("an audit entry could not be written")),
    })
}
