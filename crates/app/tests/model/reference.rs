//! The reference model: what the settlement path must do, written from docs/flow.md and the data
//! rules (docs/interface.md), in plain structs, without any of the code under test.
//!
//! The "flagged for review" outcome is its own field ([`Attempt::review`], with a reason), apart
//! from the attempt's status: today a flag is the `needs_review` column and the attempt's status
//! moves on as usual. When the `review` attempt state lands, [`REVIEW_STATE`] becomes `true`,
//! [`Attempt::expected_status`] answers `review` for the reasons [`Reason::is_review_state`]
//! names, and no automatic path moves such an attempt (see [`Model::movable`]).

use wetech_domain::{AttemptStatus, Gateway, InvoiceStatus};

use crate::ops::CheckoutFault;

/// Whether the `review` attempt state exists (a flagged attempt is moved to it and nothing
/// automatic moves it out). `false` until it lands.
pub const REVIEW_STATE: bool = false;

/// Which behaviour the model predicts where the code is known to be wrong (the stories of
/// `gaps.rs`, listed in docs/payments.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Today's behaviour, known bugs included: the property that runs in CI, so that it stays
    /// green while it guards everything else.
    Today,
    /// What the code should do: the ignored tests that fail until the bugs are fixed.
    Intended,
}

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
    /// Whether this reason puts the attempt in the `review` state once it exists (issue 12
    /// point 3: mismatch, paid twice, signature failure; a reversal keeps `reversed`).
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
}

impl Attempt {
    /// The status the database must show.
    pub fn expected_status(&self) -> AttemptStatus {
        // When `review` lands: `if REVIEW_STATE && self.review.is_some_and(Reason::is_review_state)
        // { return AttemptStatus::Review; }`
        self.status
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
    pub expect: Expect,
}

const fn is_open(status: AttemptStatus) -> bool {
    matches!(status, AttemptStatus::Initiated | AttemptStatus::Pending)
}

impl Model {
    pub fn new(invoices: usize, expect: Expect) -> Model {
        Model {
            invoices: (0..invoices)
                .map(|_| Invoice {
                    status: InvoiceStatus::Unpaid,
                    paid_by: None,
                    settlements: 0,
                })
                .collect(),
            attempts: Vec::new(),
            expect,
        }
    }

    /// Whether automatic paths may still move the attempt.
    pub fn movable(&self, a: usize) -> bool {
        !(REVIEW_STATE && self.attempts[a].review.is_some_and(Reason::is_review_state))
    }

    fn flag(&mut self, a: usize, reason: Reason) {
        let attempt = &mut self.attempts[a];
        if attempt.review.is_none() {
            attempt.review = Some(reason);
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
            InvoiceStatus::Paid | InvoiceStatus::Reversed => return StartExpect::Conflict,
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

    /// A callback whose signature does not verify: refused (401) and kept. Today the attempt is
    /// not touched (the callback is stored without it); once the `review` state exists, the
    /// attempt is put under review.
    pub fn signature_failed(&mut self, a: usize) {
        if REVIEW_STATE {
            self.flag(a, Reason::BadSignature);
        }
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
                    let invoice = &mut self.invoices[inv];
                    match invoice.status {
                        InvoiceStatus::Unpaid | InvoiceStatus::Pending => {
                            invoice.status = InvoiceStatus::Paid;
                            invoice.paid_by = Some(a);
                            invoice.settlements += 1;
                        }
                        InvoiceStatus::Paid | InvoiceStatus::Reversed => {
                            self.flag(a, Reason::PaidTwice);
                        }
                    }
                }
                AttemptStatus::Failed => self.flag(a, Reason::SuccessAfterFailure),
                AttemptStatus::Completed | AttemptStatus::Reversed => {}
            },
            // A stale failure never un-pays, and an expired attempt stays expired.
            Fact::Failed => self.end_open(a, AttemptStatus::Failed),
            Fact::Reversed => {
                if self.attempts[a].status == AttemptStatus::Completed {
                    self.attempts[a].status = AttemptStatus::Reversed;
                    self.flag(a, Reason::Reversed);
                    let invoice = &mut self.invoices[inv];
                    // Only the payment that paid the invoice un-pays it when reversed; the
                    // reversal of a second payment (paid twice) leaves the first one standing.
                    // Today any reversal does (gaps.rs).
                    let unpays = invoice.paid_by == Some(a) || self.expect == Expect::Today;
                    if invoice.status == InvoiceStatus::Paid && unpays {
                        invoice.status = InvoiceStatus::Reversed;
                    }
                }
            }
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
    /// Pesapal ones by their status answer, AzamPay ones expired once old enough (`expire`).
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
