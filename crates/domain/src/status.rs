//! The invoice (payment intent) and payment-attempt state machines, as pure functions.
//!
//! ```text
//! invoice:  unpaid ──start──▶ pending ──success──▶ paid ──reversal──▶ reversed
//!             ▲                  │                    └──whole amount refunded──▶ refunded
//!             └──failed/expired──┘      unpaid ──late verified success──▶ paid
//!           unpaid ──voided (a person)──▶ void
//!
//! attempt:  initiated ──accepted──▶ pending ──success──▶ completed ──reversal──▶ reversed
//!              │  │                   │  │
//!              │  └──────refused──────┴──┴──▶ failed
//!              └──outcome unknown──▶ expired ◀──too old── pending
//!                                      └──late verified success──▶ completed
//!
//! initiated, pending, expired, failed, completed ──something does not match──▶ review
//! ```
//!
//! `void` and `refunded` are final and are reached only through the back office (a person);
//! a partial refund leaves the invoice `paid`.
//!
//! `review` means a person must look: the gateway's word did not match our record (amount,
//! currency, reference, payer), the customer paid an invoice that was already paid, a success
//! came for an attempt recorded as failed, or a signature failed. No [`AttemptEvent`] leaves it:
//! only a person's [`ReviewDecision`] does ([`AttemptStatus::resolve`], `review` → `completed` |
//! `failed`), which the back office alone makes, never a notification, a reconciliation or a
//! retry. A reversed attempt keeps its own state.
//!
//! Every transition not drawn above is refused with [`IllegalTransition`]. Persistence applies the
//! result with a conditional update (`… WHERE status = <from>`), so two concurrent deliveries of one
//! event cannot both win.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A transition that the state machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal {machine} transition: {event} while {from}")]
pub struct IllegalTransition {
    /// `"invoice"` or `"payment attempt"`.
    pub machine: &'static str,
    /// The state the transition was attempted from.
    pub from: &'static str,
    /// The event that was refused.
    pub event: &'static str,
}

/// A status string read from storage or the wire that names no known state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {machine} status {value:?}")]
pub struct UnknownStatus {
    /// Which machine's status was being parsed.
    pub machine: &'static str,
    /// The text that was not recognised.
    pub value: String,
}

macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident, $machine:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every state, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The lower-case name used in storage, JSON and URLs.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownStatus { machine: $machine, value: other.to_owned() }),
                }
            }
        }
    };
}

status_enum!(
    /// The state of an invoice (the payment intent).
    InvoiceStatus, "invoice" {
        /// Issued, nothing under way.
        Unpaid => "unpaid",
        /// A payment attempt is under way.
        Pending => "pending",
        /// Settled by a verified gateway success. Final except for a reversal.
        Paid => "paid",
        /// The gateway reversed the payment that settled it.
        Reversed => "reversed",
        /// Cancelled from the back office before anything was paid. Final: it cannot be paid.
        Void => "void",
        /// Its whole amount was refunded from the back office. Final.
        Refunded => "refunded",
    }
);

status_enum!(
    /// The state of one payment attempt (one try with one gateway and one merchant reference).
    AttemptStatus, "payment attempt" {
        /// Recorded, the gateway not yet asked.
        Initiated => "initiated",
        /// The gateway accepted the checkout; the customer has not finished.
        Pending => "pending",
        /// Verified success.
        Completed => "completed",
        /// The gateway refused it or the customer failed/cancelled it.
        Failed => "failed",
        /// Its outcome is unknown (timeout) or it was pending too long; a late verified success still
        /// completes it.
        Expired => "expired",
        /// A completed payment the gateway reversed.
        Reversed => "reversed",
        /// Something did not match, or the customer paid twice: a person must look. Never
        /// settles by itself.
        Review => "review",
    }
);

/// What can happen to an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceEvent {
    /// A payment attempt was started.
    AttemptStarted,
    /// An attempt was verified as paid.
    AttemptSucceeded,
    /// The attempt under way failed or expired.
    AttemptEnded,
    /// The gateway reversed the settling payment.
    PaymentReversed,
    /// A person voided it in the back office.
    Voided,
    /// The whole amount paid was refunded from the back office.
    FullyRefunded,
}

impl InvoiceEvent {
    const fn name(self) -> &'static str {
        match self {
            InvoiceEvent::AttemptStarted => "attempt started",
            InvoiceEvent::AttemptSucceeded => "attempt succeeded",
            InvoiceEvent::AttemptEnded => "attempt ended",
            InvoiceEvent::PaymentReversed => "payment reversed",
            InvoiceEvent::Voided => "voided",
            InvoiceEvent::FullyRefunded => "fully refunded",
        }
    }
}

impl InvoiceStatus {
    /// The state after `event`, or the refusal.
    ///
    /// ```
    /// use wetech_domain::{InvoiceEvent, InvoiceStatus};
    /// let s = InvoiceStatus::Unpaid.apply(InvoiceEvent::AttemptStarted).unwrap();
    /// assert_eq!(s, InvoiceStatus::Pending);
    /// assert!(InvoiceStatus::Paid.apply(InvoiceEvent::AttemptEnded).is_err());
    /// ```
    pub fn apply(self, event: InvoiceEvent) -> Result<InvoiceStatus, IllegalTransition> {
        use InvoiceEvent as E;
        use InvoiceStatus as S;
        match (self, event) {
            (S::Unpaid, E::AttemptStarted) => Ok(S::Pending),
            // A late verified success of an expired attempt settles an unpaid invoice directly.
            (S::Unpaid | S::Pending, E::AttemptSucceeded) => Ok(S::Paid),
            (S::Pending, E::AttemptEnded) => Ok(S::Unpaid),
            (S::Paid, E::PaymentReversed) => Ok(S::Reversed),
            (S::Unpaid, E::Voided) => Ok(S::Void),
            (S::Paid, E::FullyRefunded) => Ok(S::Refunded),
            (S::Unpaid, E::AttemptEnded | E::PaymentReversed | E::FullyRefunded)
            | (S::Pending, E::AttemptStarted | E::PaymentReversed | E::Voided | E::FullyRefunded)
            | (S::Paid, E::AttemptStarted | E::AttemptSucceeded | E::AttemptEnded | E::Voided)
            | (S::Reversed | S::Void | S::Refunded, _) => Err(IllegalTransition {
                machine: "invoice",
                from: self.as_str(),
                event: event.name(),
            }),
        }
    }

    /// Whether a new payment attempt may start.
    #[must_use]
    pub const fn accepts_payment(self) -> bool {
        matches!(self, InvoiceStatus::Unpaid)
    }
}

/// A person's decision on an attempt under `review` (the back office's "resolve"). Kept apart from
/// [`AttemptEvent`] so that no automatic path (a notification, a reconciliation, a retry) can
/// even name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The money arrived and belongs to this invoice: the attempt is `completed`.
    Completed,
    /// The attempt did not pay this invoice (or its money was given back): `failed`.
    Failed,
}

impl ReviewDecision {
    /// The lower-case name used in forms and the audit log.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Completed => "completed",
            ReviewDecision::Failed => "failed",
        }
    }
}

impl FromStr for ReviewDecision {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "completed" => Ok(ReviewDecision::Completed),
            "failed" => Ok(ReviewDecision::Failed),
            other => Err(UnknownStatus {
                machine: "review decision",
                value: other.to_owned(),
            }),
        }
    }
}

/// What can happen to a payment attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptEvent {
    /// The gateway accepted the checkout request.
    GatewayAccepted,
    /// The gateway refused the checkout, or a verified status says failed.
    Failed,
    /// A verified status says paid.
    Succeeded,
    /// The outcome is unknown (timeout after sending) or the attempt has been pending too long.
    Expired,
    /// A verified status says the payment was reversed.
    Reversed,
    /// Something does not match (amount, currency, reference, payer, signature), or the
    /// customer paid an invoice already paid: a person must look.
    NeedsReview,
}

impl AttemptEvent {
    const fn name(self) -> &'static str {
        match self {
            AttemptEvent::GatewayAccepted => "gateway accepted",
            AttemptEvent::Failed => "failed",
            AttemptEvent::Succeeded => "succeeded",
            AttemptEvent::Expired => "expired",
            AttemptEvent::Reversed => "reversed",
            AttemptEvent::NeedsReview => "needs review",
        }
    }
}

impl AttemptStatus {
    /// The state after `event`, or the refusal.
    ///
    /// ```
    /// use wetech_domain::{AttemptEvent, AttemptStatus};
    /// assert_eq!(AttemptStatus::Expired.apply(AttemptEvent::Succeeded), Ok(AttemptStatus::Completed));
    /// assert!(AttemptStatus::Completed.apply(AttemptEvent::Failed).is_err());
    /// ```
    pub fn apply(self, event: AttemptEvent) -> Result<AttemptStatus, IllegalTransition> {
        use AttemptEvent as E;
        use AttemptStatus as S;
        match (self, event) {
            (S::Initiated, E::GatewayAccepted) => Ok(S::Pending),
            (S::Initiated | S::Pending, E::Failed) => Ok(S::Failed),
            (S::Initiated | S::Pending, E::Expired) => Ok(S::Expired),
            (S::Pending | S::Expired, E::Succeeded) => Ok(S::Completed),
            // A reversal reported before we saw the payment (the gateway took the money and gave
            // it back) ends the attempt as reversed too.
            (S::Initiated | S::Pending | S::Expired | S::Completed, E::Reversed) => Ok(S::Reversed),
            (S::Initiated | S::Pending | S::Expired | S::Failed | S::Completed, E::NeedsReview) => {
                Ok(S::Review)
            }
            (S::Initiated, E::Succeeded)
            | (S::Pending, E::GatewayAccepted)
            | (S::Expired, E::GatewayAccepted | E::Failed | E::Expired)
            | (S::Completed, E::GatewayAccepted | E::Failed | E::Succeeded | E::Expired)
            | (
                S::Failed,
                E::GatewayAccepted | E::Failed | E::Succeeded | E::Expired | E::Reversed,
            )
            | (S::Reversed | S::Review, _) => Err(IllegalTransition {
                machine: "payment attempt",
                from: self.as_str(),
                event: event.name(),
            }),
        }
    }

    /// The state after a person's `decision` on an attempt under review; refused from any other
    /// state.
    ///
    /// ```
    /// use wetech_domain::{AttemptStatus, ReviewDecision};
    /// assert_eq!(AttemptStatus::Review.resolve(ReviewDecision::Failed), Ok(AttemptStatus::Failed));
    /// assert!(AttemptStatus::Pending.resolve(ReviewDecision::Completed).is_err());
    /// ```
    pub fn resolve(self, decision: ReviewDecision) -> Result<AttemptStatus, IllegalTransition> {
        match (self, decision) {
            (AttemptStatus::Review, ReviewDecision::Completed) => Ok(AttemptStatus::Completed),
            (AttemptStatus::Review, ReviewDecision::Failed) => Ok(AttemptStatus::Failed),
            _ => Err(IllegalTransition {
                machine: "payment attempt",
                from: self.as_str(),
                event: match decision {
                    ReviewDecision::Completed => "resolved as completed",
                    ReviewDecision::Failed => "resolved as failed",
                },
            }),
        }
    }

    /// Whether the attempt can still change because of a gateway answer. (`review` is not: it
    /// waits for a person.)
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            AttemptStatus::Initiated | AttemptStatus::Pending | AttemptStatus::Expired
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_happy_path_and_refusals() {
        let s = InvoiceStatus::Unpaid;
        let s = s.apply(InvoiceEvent::AttemptStarted).unwrap();
        assert_eq!(s, InvoiceStatus::Pending);
        assert_eq!(
            s.apply(InvoiceEvent::AttemptEnded).unwrap(),
            InvoiceStatus::Unpaid
        );
        let paid = s.apply(InvoiceEvent::AttemptSucceeded).unwrap();
        assert_eq!(paid, InvoiceStatus::Paid);
        // A stale failure never un-pays.
        assert!(paid.apply(InvoiceEvent::AttemptEnded).is_err());
        assert!(paid.apply(InvoiceEvent::AttemptStarted).is_err());
        assert_eq!(
            paid.apply(InvoiceEvent::PaymentReversed).unwrap(),
            InvoiceStatus::Reversed
        );
        for e in INVOICE_EVENTS {
            for end in [
                InvoiceStatus::Reversed,
                InvoiceStatus::Void,
                InvoiceStatus::Refunded,
            ] {
                assert!(end.apply(e).is_err(), "{end} is final");
            }
        }
    }

    #[test]
    fn only_an_unpaid_invoice_is_voided_and_only_a_paid_one_refunded() {
        use InvoiceEvent as E;
        use InvoiceStatus as S;
        assert_eq!(S::Unpaid.apply(E::Voided), Ok(S::Void));
        assert_eq!(S::Paid.apply(E::FullyRefunded), Ok(S::Refunded));
        for from in [S::Pending, S::Paid, S::Reversed, S::Void, S::Refunded] {
            assert!(from.apply(E::Voided).is_err(), "voided while {from}");
        }
        for from in [S::Unpaid, S::Pending, S::Reversed, S::Void, S::Refunded] {
            assert!(
                from.apply(E::FullyRefunded).is_err(),
                "refunded while {from}"
            );
        }
        assert!(!S::Void.accepts_payment(), "a void invoice cannot be paid");
        assert!(!S::Refunded.accepts_payment());
        assert_eq!("void".parse::<S>(), Ok(S::Void));
        assert_eq!("refunded".parse::<S>(), Ok(S::Refunded));
    }

    #[test]
    fn a_review_is_left_only_by_a_persons_decision() {
        use AttemptStatus as S;
        assert_eq!(
            S::Review.resolve(ReviewDecision::Completed),
            Ok(S::Completed)
        );
        assert_eq!(S::Review.resolve(ReviewDecision::Failed), Ok(S::Failed));
        for from in S::ALL.iter().filter(|s| **s != S::Review) {
            for d in [ReviewDecision::Completed, ReviewDecision::Failed] {
                let err = from.resolve(d).unwrap_err();
                assert_eq!(err.from, from.as_str());
            }
        }
        assert_eq!(
            "failed".parse::<ReviewDecision>(),
            Ok(ReviewDecision::Failed)
        );
        assert!("review".parse::<ReviewDecision>().is_err());
    }

    #[test]
    fn attempt_transitions() {
        use AttemptEvent as E;
        use AttemptStatus as S;
        assert_eq!(S::Initiated.apply(E::GatewayAccepted), Ok(S::Pending));
        assert_eq!(S::Initiated.apply(E::Failed), Ok(S::Failed));
        assert_eq!(S::Initiated.apply(E::Expired), Ok(S::Expired));
        assert_eq!(S::Pending.apply(E::Succeeded), Ok(S::Completed));
        assert_eq!(S::Expired.apply(E::Succeeded), Ok(S::Completed));
        assert_eq!(S::Completed.apply(E::Reversed), Ok(S::Reversed));
        // A reversal seen before the payment ends the attempt too (docs/flow.md).
        for from in [S::Initiated, S::Pending, S::Expired] {
            assert_eq!(from.apply(E::Reversed), Ok(S::Reversed), "{from}");
        }
        assert!(S::Failed.apply(E::Reversed).is_err());
        assert!(S::Failed.apply(E::Succeeded).is_err(), "failed is final");
        assert!(
            S::Completed.apply(E::Failed).is_err(),
            "a stale failure never un-completes"
        );
        assert!(S::Expired.apply(E::Failed).is_err());
        for from in [
            S::Initiated,
            S::Pending,
            S::Expired,
            S::Failed,
            S::Completed,
        ] {
            assert_eq!(from.apply(E::NeedsReview), Ok(S::Review), "{from}");
        }
        assert!(
            S::Reversed.apply(E::NeedsReview).is_err(),
            "a reversal keeps its state"
        );
        let err = S::Completed.apply(E::Expired).unwrap_err();
        assert_eq!(
            err.to_string(),
            "illegal payment attempt transition: expired while completed"
        );
    }

    use proptest::prelude::*;

    const INVOICE_EVENTS: [InvoiceEvent; 6] = [
        InvoiceEvent::AttemptStarted,
        InvoiceEvent::AttemptSucceeded,
        InvoiceEvent::AttemptEnded,
        InvoiceEvent::PaymentReversed,
        InvoiceEvent::Voided,
        InvoiceEvent::FullyRefunded,
    ];
    /// Every event that something automatic (a notification, a reconciliation, a retry) may
    /// apply to an attempt: all of them. A person's decision is not an [`AttemptEvent`].
    const ATTEMPT_EVENTS: [AttemptEvent; 6] = [
        AttemptEvent::GatewayAccepted,
        AttemptEvent::Failed,
        AttemptEvent::Succeeded,
        AttemptEvent::Expired,
        AttemptEvent::Reversed,
        AttemptEvent::NeedsReview,
    ];

    fn invoice_events() -> impl Strategy<Value = Vec<InvoiceEvent>> {
        prop::collection::vec(
            (0..INVOICE_EVENTS.len()).prop_map(|i| INVOICE_EVENTS[i]),
            0..64,
        )
    }

    fn attempt_events() -> impl Strategy<Value = Vec<AttemptEvent>> {
        prop::collection::vec(
            (0..ATTEMPT_EVENTS.len()).prop_map(|i| ATTEMPT_EVENTS[i]),
            0..64,
        )
    }

    proptest! {
        /// Events arrive in any order and any number of times (duplicated, stale, concurrent
        /// deliveries); refused ones leave the state as it was, as the conditional update does.
        #[test]
        fn paid_is_left_only_by_a_reversal_or_a_full_refund(start in 0..InvoiceStatus::ALL.len(), events in invoice_events()) {
            let mut state = InvoiceStatus::ALL[start];
            for event in events {
                match state.apply(event) {
                    Ok(next) => {
                        if state == InvoiceStatus::Paid {
                            prop_assert!(
                                matches!(
                                    (event, next),
                                    (InvoiceEvent::PaymentReversed, InvoiceStatus::Reversed)
                                        | (InvoiceEvent::FullyRefunded, InvoiceStatus::Refunded)
                                ),
                                "{:?} from paid", event
                            );
                        }
                        prop_assert!(
                            !matches!(state, InvoiceStatus::Reversed | InvoiceStatus::Void | InvoiceStatus::Refunded),
                            "{} is final", state
                        );
                        if next == InvoiceStatus::Void {
                            prop_assert_eq!((state, event), (InvoiceStatus::Unpaid, InvoiceEvent::Voided));
                        }
                        if next == InvoiceStatus::Paid {
                            prop_assert_eq!(event, InvoiceEvent::AttemptSucceeded);
                        }
                        state = next;
                    }
                    Err(e) => {
                        prop_assert_eq!(e.from, state.as_str());
                        prop_assert_eq!(e.machine, "invoice");
                    }
                }
            }
        }

        #[test]
        fn invoice_is_paid_at_most_once(events in invoice_events()) {
            let mut state = InvoiceStatus::Unpaid;
            let mut times_paid = 0;
            for event in events {
                if let Ok(next) = state.apply(event) {
                    if next == InvoiceStatus::Paid {
                        times_paid += 1;
                    }
                    state = next;
                }
            }
            prop_assert!(times_paid <= 1);
        }

        #[test]
        fn completed_is_left_only_by_a_reversal_or_for_review_and_closed_states_stay_closed(
            start in 0..AttemptStatus::ALL.len(),
            events in attempt_events(),
        ) {
            let mut state = AttemptStatus::ALL[start];
            for event in events {
                match state.apply(event) {
                    Ok(next) => {
                        prop_assert!(
                            state.is_open()
                                || state == AttemptStatus::Completed
                                || (state == AttemptStatus::Failed && next == AttemptStatus::Review),
                            "{} is final", state
                        );
                        if state == AttemptStatus::Completed {
                            prop_assert!(
                                matches!(
                                    (event, next),
                                    (AttemptEvent::Reversed, AttemptStatus::Reversed)
                                        | (AttemptEvent::NeedsReview, AttemptStatus::Review)
                                ),
                                "{:?} from completed", event
                            );
                        }
                        if next == AttemptStatus::Review {
                            prop_assert_eq!(event, AttemptEvent::NeedsReview);
                        }
                        if next == AttemptStatus::Completed {
                            prop_assert_eq!(event, AttemptEvent::Succeeded);
                        }
                        prop_assert_ne!(next, state, "every accepted event changes the state");
                        state = next;
                    }
                    Err(e) => prop_assert_eq!(e.from, state.as_str()),
                }
            }
        }

        #[test]
        fn a_failed_attempt_never_completes(events in attempt_events()) {
            let mut state = AttemptStatus::Initiated;
            let mut failed = false;
            for event in events {
                if let Ok(next) = state.apply(event) {
                    failed |= next == AttemptStatus::Failed;
                    state = next;
                }
                if failed {
                    prop_assert!(
                        matches!(state, AttemptStatus::Failed | AttemptStatus::Review),
                        "{}", state
                    );
                }
            }
        }

        /// Nothing automatic leaves `review`: every event is refused there (only
        /// [`AttemptStatus::resolve`], a person's decision, does).
        #[test]
        fn review_is_left_by_no_automatic_event(start in 0..AttemptStatus::ALL.len(), events in attempt_events()) {
            let mut state = AttemptStatus::ALL[start];
            let mut in_review = state == AttemptStatus::Review;
            for event in events {
                if let Ok(next) = state.apply(event) {
                    prop_assert!(!in_review, "{:?} left review", event);
                    state = next;
                }
                in_review |= state == AttemptStatus::Review;
                if in_review {
                    prop_assert_eq!(state, AttemptStatus::Review);
                }
            }
        }

        #[test]
        fn parsing_any_text_never_panics(input in any::<String>()) {
            if let Ok(s) = input.parse::<InvoiceStatus>() {
                prop_assert_eq!(s.as_str(), input.as_str());
            }
            if let Ok(s) = input.parse::<AttemptStatus>() {
                prop_assert_eq!(s.as_str(), input.as_str());
            }
        }
    }

    #[test]
    fn status_text_round_trips() {
        for s in InvoiceStatus::ALL {
            assert_eq!(s.as_str().parse::<InvoiceStatus>().unwrap(), *s);
        }
        for s in AttemptStatus::ALL {
            assert_eq!(s.as_str().parse::<AttemptStatus>().unwrap(), *s);
        }
        assert!("PAID".parse::<InvoiceStatus>().is_err());
        assert_eq!(
            serde_json::to_string(&InvoiceStatus::Paid).unwrap(),
            "\"paid\""
        );
    }
}
