//! The reference model: what the settlement path must do, written from docs/flow.md and the data
//! rules (docs/interface.md), in plain structs, without any of the code under test.
//!
//! The reason an attempt was flagged is its own field ([`Attempt::review`]); the reasons
//! [`Reason::is_review_state`] names also put the attempt in the `review` state, which no
//! automatic path moves (see [`Model::movable`]).

use wetech_domain::{AttemptStatus, Gateway, InvoiceStatus};

use crate::ops::CheckoutFault;

/// What the gateway's own record says about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// The gateway has no order or push for it (refused, or the connection was lost first).
    Nothing,
    /// Waiting for the customer.
    Pending,
    /// The customer paid.
    Paid,
    /// The customer declined.
    Declined,
    /// Paid, then reversed.
    Reversed,
}

/// Why an attempt is flagged for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Amount, currency, reference or payer did not match.
    Mismatch,
    /// The customer paid an invoice already paid through another attempt.
    PaidTwice,
    /// A success reported for an attempt recorded as failed.
    SuccessAfterFailure,
    /// The gateway reversed the payment.
    Reversed,
    /// A callback's signature did not verify.
    BadSignature,
}

impl Reason {
    /// Whether this reason puts the attempt in the `review` state (mismatch, paid twice,
    /// signature failure; a reversal keeps `reversed`).
    pub const fn is_review_state(self) -> bool {
        matches!(
            self,
            Reason::Mismatch
                | Reason::PaidTwice
                | Reason::SuccessAfterFailure
                | Reason::BadSignature
        )
    }
}

/// A verified fact about an attempt, as a notification or a status answer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Pending,
    Completed,
    Failed,
    Reversed,
}

impl Truth {
    /// The fact a status answer reports for this record (`None`: there is no record).
    pub const fn fact(self) -> Option<Fact> {
        match self {
            Truth::Nothing => None,
            Truth::Pending => Some(Fact::Pending),
            Truth::Paid => Some(Fact::Completed),
            Truth::Declined => Some(Fact::Failed),
            Truth::Reversed => Some(Fact::Reversed),
        }
    }
}

/// One payment attempt as the model sees it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub invoice: usize,
    pub gateway: Gateway,
    /// The merchant reference the real system gave it.
    pub reference: String,
    pub status: AttemptStatus,
    pub truth: Truth,
    /// The first reason it was flagged for review, if any.
    pub review: Option<Reason>,
    /// A reconcile run holds its five-minute lease.
    pub leased: bool,
    /// An untampered success callback was delivered (AzamPay).
    pub success_delivered: bool,
    /// A verified success was applied to it (it paid the invoice, or paid it twice).
    pub settled: bool,
}

impl Attempt {
    /// The status the database must show.
    pub fn expected_status(&self) -> AttemptStatus {
        self.status
    }

    /// Whether the database must show a review reason.
    pub fn under_review(&self) -> bool {
        self.status == AttemptStatus::Review
    }
}

/// One invoice as the model sees it.
#[derive(Debug, Clone)]
pub struct Invoice {
    pub status: InvoiceStatus,
    /// The attempt whose settlement paid it.
    pub paid_by: Option<usize>,
    /// How many settlements paid it (at most one).
    pub settlements: u32,
}

/// What a payment start must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartExpect {
    /// 409: paid, reversed, or a recent attempt through the same gateway is waiting.
    Conflict,
    /// A new attempt in this state, and what the gateway holds for it.
    Started {
        status: AttemptStatus,
        truth: Truth,
        accepted: bool,
    },
}

/// The whole model.
#[derive(Debug, Clone)]
pub struct Model {
    pub invoices: Vec<Invoice>,
    pub attempts: Vec<Attempt>,
}

const fn is_open(status: AttemptStatus) -> bool {
    matches!(status, AttemptStatus::Initiated | AttemptStatus::Pending)
}

impl Model {
    pub fn new(invoices: usize) -> Model {
        Model {
            invoices: (0..invoices)
                .map(|_| Invoice {
                    status: InvoiceStatus::Unpaid,
                    paid_by: None,
                    settlements: 0,
                })
                .collect(),
            attempts: Vec::new(),
        }
    }

    /// Whether automatic paths may still move the attempt.
    pub fn movable(&self, a: usize) -> bool {
        self.attempts[a].status != AttemptStatus::Review
    }

    /// Flags attempt `a` for `reason` (the first reason is kept). A review reason puts it under
    /// `review` from any state but `reversed`; when it was the attempt under way, its pending
    /// invoice goes back to unpaid unless another attempt of it is still open.
    fn flag(&mut self, a: usize, reason: Reason) {
        let attempt = &mut self.attempts[a];
        if attempt.review.is_none() {
            attempt.review = Some(reason);
        }
        if !reason.is_review_state()
            || matches!(
                attempt.status,
                AttemptStatus::Reversed | AttemptStatus::Review
            )
        {
            return;
        }
        let was_open = is_open(attempt.status);
        attempt.status = AttemptStatus::Review;
        let inv = attempt.invoice;
        let others_open = self
            .attempts
            .iter()
            .any(|o| o.invoice == inv && is_open(o.status));
        if was_open && !others_open && self.invoices[inv].status == InvoiceStatus::Pending {
            self.invoices[inv].status = InvoiceStatus::Unpaid;
        }
    }

    /// Ends an open attempt in `to` (failed or expired); its invoice goes back to unpaid when
    /// it was pending.
    fn end_open(&mut self, a: usize, to: AttemptStatus) {
        if !is_open(self.attempts[a].status) || !self.movable(a) {
            return;
        }
        self.attempts[a].status = to;
        let inv = &mut self.invoices[self.attempts[a].invoice];
        if inv.status == InvoiceStatus::Pending {
            inv.status = InvoiceStatus::Unpaid;
        }
    }

    /// A payment start of invoice `inv` through `gateway`; the state changes except the new
    /// attempt itself, which the caller adds with [`Model::add_attempt`].
    pub fn start(
        &mut self,
        inv: usize,
        gateway: Gateway,
        fault: Option<CheckoutFault>,
        later: bool,
    ) -> StartExpect {
        match self.invoices[inv].status {
            // The model never voids or refunds; the arms say what the code does if it did.
            InvoiceStatus::Paid
            | InvoiceStatus::Reversed
            | InvoiceStatus::Void
            | InvoiceStatus::Refunded => return StartExpect::Conflict,
            InvoiceStatus::Pending => {
                let open: Vec<usize> = (0..self.attempts.len())
                    .filter(|&a| {
                        self.attempts[a].invoice == inv && is_open(self.attempts[a].status)
                    })
                    .collect();
                if !later && open.iter().any(|&a| self.attempts[a].gateway == gateway) {
                    return StartExpect::Conflict;
                }
                for a in open {
                    self.end_open(a, AttemptStatus::Expired);
                }
                self.invoices[inv].status = InvoiceStatus::Unpaid;
            }
            InvoiceStatus::Unpaid => {}
        }
        let (status, truth, accepted) = match fault {
            None => (AttemptStatus::Pending, Truth::Pending, true),
            Some(CheckoutFault::Refused | CheckoutFault::ServerError) => {
                (AttemptStatus::Failed, Truth::Nothing, false)
            }
            Some(CheckoutFault::ConnectionLost) => (AttemptStatus::Expired, Truth::Nothing, false),
            Some(CheckoutFault::Timeout) => (AttemptStatus::Expired, Truth::Pending, false),
        };
        self.invoices[inv].status = if is_open(status) {
            InvoiceStatus::Pending
        } else {
            InvoiceStatus::Unpaid
        };
        StartExpect::Started {
            status,
            truth,
            accepted,
        }
    }

    pub fn add_attempt(&mut self, attempt: Attempt) -> usize {
        self.attempts.push(attempt);
        self.attempts.len() - 1
    }

    /// A mismatch (amount, currency, reference, payer): flagged, nothing else.
    pub fn mismatch(&mut self, a: usize) {
        self.flag(a, Reason::Mismatch);
    }

    /// A callback whose signature does not verify: refused (401), kept, and the attempt put
    /// under review.
    pub fn signature_failed(&mut self, a: usize) {
        self.flag(a, Reason::BadSignature);
    }

    /// A verified fact about attempt `a` (a Pesapal IPN, browser return or reconciliation).
    pub fn apply(&mut self, a: usize, fact: Fact) {
        if !self.movable(a) {
            return;
        }
        let inv = self.attempts[a].invoice;
        match fact {
            Fact::Pending => {}
            Fact::Completed => match self.attempts[a].status {
                // A late verified success of an expired attempt still settles.
                AttemptStatus::Initiated | AttemptStatus::Pending | AttemptStatus::Expired => {
                    self.attempts[a].status = AttemptStatus::Completed;
                    self.attempts[a].settled = true;
                    let invoice = &mut self.invoices[inv];
                    match invoice.status {
                        InvoiceStatus::Unpaid | InvoiceStatus::Pending => {
                            invoice.status = InvoiceStatus::Paid;
                            invoice.paid_by = Some(a);
                            invoice.settlements += 1;
                        }
                        InvoiceStatus::Paid
                        | InvoiceStatus::Reversed
                        | InvoiceStatus::Void
                        | InvoiceStatus::Refunded => {
                            self.flag(a, Reason::PaidTwice);
                        }
                    }
                }
                AttemptStatus::Failed => self.flag(a, Reason::SuccessAfterFailure),
                AttemptStatus::Completed | AttemptStatus::Reversed | AttemptStatus::Review => {}
            },
            // A stale failure never un-pays, and an expired attempt stays expired.
            Fact::Failed => self.end_open(a, AttemptStatus::Failed),
            Fact::Reversed => match self.attempts[a].status {
                // Reversed before we saw it paid: the attempt ends, its invoice back to unpaid.
                AttemptStatus::Initiated | AttemptStatus::Pending => {
                    self.end_open(a, AttemptStatus::Reversed);
                }
                AttemptStatus::Expired => self.attempts[a].status = AttemptStatus::Reversed,
                AttemptStatus::Completed => {
                    self.attempts[a].status = AttemptStatus::Reversed;
                    self.flag(a, Reason::Reversed);
                    let invoice = &mut self.invoices[inv];
                    // Only the payment that paid the invoice un-pays it when reversed.
                    if invoice.status == InvoiceStatus::Paid && invoice.paid_by == Some(a) {
                        invoice.status = InvoiceStatus::Reversed;
                    }
                }
                AttemptStatus::Failed | AttemptStatus::Reversed | AttemptStatus::Review => {}
            },
        }
    }

    /// An AzamPay callback reporting `fact`: news about a closed attempt changes nothing.
    pub fn apply_callback(&mut self, a: usize, fact: Fact) {
        let status = self.attempts[a].status;
        if is_open(status) || status == AttemptStatus::Expired {
            self.apply(a, fact);
        }
    }

    /// A reconcile run: every open attempt no other run holds is claimed (leased) and checked;
    /// Pesapal ones by their status answer (and expired when it still says pending and they are
    /// old enough, `expire`), AzamPay ones expired once old enough.
    pub fn reconcile(&mut self, expire: bool) {
        for a in 0..self.attempts.len() {
            if !is_open(self.attempts[a].status) || self.attempts[a].leased {
                continue;
            }
            self.attempts[a].leased = true;
            match self.attempts[a].gateway {
                Gateway::Pesapal => {
                    if let Some(fact) = self.attempts[a].truth.fact() {
                        self.apply(a, fact);
                    }
                    // Still pending at the gateway (an abandoned checkout) and old enough.
                    if expire && self.attempts[a].truth == Truth::Pending {
                        self.end_open(a, AttemptStatus::Expired);
                    }
                }
                Gateway::AzamPay => {
                    if expire {
                        self.end_open(a, AttemptStatus::Expired);
                    }
                }
            }
        }
    }

    /// Five minutes pass: every reconcile lease runs out.
    pub fn leases_expire(&mut self) {
        for a in &mut self.attempts {
            a.leased = false;
        }
    }
}
