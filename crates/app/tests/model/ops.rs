//! The operations a generated sequence is made of, and their strategies.
//!
//! An operation names an invoice by its index and an attempt by an index that is resolved, when
//! the step runs, among the attempts it can apply to (modulo their number); a step with nothing to
//! apply to is skipped. So every generated sequence is valid, and a shrunk one stays readable:
//! its `Debug` form is the failing story.

use proptest::prelude::*;

/// How many invoices a sequence plays with (the brief asks for 2–4).
pub const INVOICES: usize = 3;
/// The customer's phones an AzamPay start may push to.
pub const PHONES: [&str; 2] = ["+255712345678", "+255754000111"];

/// One step of a story.
#[derive(Debug, Clone)]
pub enum Op {
    /// The customer starts a payment of invoice `invoice`. `later`: after the retry window
    /// (`checkout.retry_after_secs`), so an open attempt no longer blocks a new one.
    Start {
        invoice: usize,
        via: Via,
        fault: Option<CheckoutFault>,
        later: bool,
    },
    /// The customer pays on the gateway's page or phone (the gateway's record only: no
    /// notification is sent by itself).
    CustomerPays { attempt: usize },
    /// The customer declines or abandons with a failure at the gateway.
    CustomerDeclines { attempt: usize },
    /// Pesapal reverses a completed payment.
    GatewayReverses { attempt: usize },
    /// Pesapal sends an IPN for an order (answered through GetTransactionStatus). `twice`: two
    /// deliveries at the same time.
    PesapalIpn {
        attempt: usize,
        twice: bool,
        fault: Option<StatusFault>,
    },
    /// The customer's browser comes back from Pesapal's page. `with_ipn`: while the IPN of
    /// the same fact is being handled.
    PesapalReturn { attempt: usize, with_ipn: bool },
    /// AzamPay calls back with the transaction's outcome, as it stands at the gateway.
    AzamPayCallback {
        attempt: usize,
        twice: bool,
        tamper: Option<Tamper>,
    },
    /// A failure callback arrives after the success of the same transaction was delivered.
    StaleAzamPayFailure { attempt: usize },
    /// `ops reconcile --older-than 0`. `later`: five minutes and the AzamPay expiry later (the
    /// leases of earlier runs have run out; AzamPay attempts are old enough to expire).
    /// `twice`: two reconcilers at the same time.
    Reconcile { later: bool, twice: bool },
}

/// The gateway a start goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Pesapal,
    /// With the index of the phone in [`PHONES`].
    AzamPay {
        phone: usize,
    },
}

/// A fault of the checkout call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutFault {
    /// The gateway refuses (HTTP 400).
    Refused,
    /// The gateway answers 503.
    ServerError,
    /// The connection is closed after the request was sent (nothing created at the gateway).
    ConnectionLost,
    /// The answer comes after the client gave up; the gateway did create the order or push.
    Timeout,
}

/// A fault or a forgery of Pesapal's status answer behind an IPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFault {
    /// GetTransactionStatus answers 503.
    ServerError,
    /// GetTransactionStatus answers after the client gave up.
    Timeout,
    /// The answer reports completion of another amount.
    WrongAmount,
    /// The answer reports completion in another currency.
    WrongCurrency,
    /// The answer's record names another merchant reference.
    WrongReference,
    /// The IPN names another attempt's merchant reference (index among the Pesapal attempts)
    /// with this order's tracking id.
    NamesOtherAttempt(usize),
}

/// What is wrong with an AzamPay callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Another amount (an unsigned field: the signature still verifies).
    Amount,
    /// Another payer's number (unsigned too).
    Payer,
    /// A reference no attempt has (unsigned: the signature removed).
    UnknownReference,
    /// A signature that does not verify.
    BadSignature,
}

fn via() -> impl Strategy<Value = Via> {
    prop_oneof![
        Just(Via::Pesapal),
        (0..PHONES.len()).prop_map(|phone| Via::AzamPay { phone }),
    ]
}

fn checkout_fault() -> impl Strategy<Value = Option<CheckoutFault>> {
    // Timeouts cost real seconds: rare.
    prop_oneof![
        12 => Just(None),
        1 => Just(Some(CheckoutFault::Refused)),
        1 => Just(Some(CheckoutFault::ServerError)),
        1 => Just(Some(CheckoutFault::ConnectionLost)),
        1 => Just(Some(CheckoutFault::Timeout)),
    ]
}

fn status_fault() -> impl Strategy<Value = Option<StatusFault>> {
    prop_oneof![
        14 => Just(None),
        1 => Just(Some(StatusFault::ServerError)),
        1 => Just(Some(StatusFault::Timeout)),
        1 => Just(Some(StatusFault::WrongAmount)),
        1 => Just(Some(StatusFault::WrongCurrency)),
        1 => Just(Some(StatusFault::WrongReference)),
        1 => (0..4usize).prop_map(|i| Some(StatusFault::NamesOtherAttempt(i))),
    ]
}

fn tamper() -> impl Strategy<Value = Option<Tamper>> {
    prop_oneof![
        10 => Just(None),
        1 => Just(Some(Tamper::Amount)),
        1 => Just(Some(Tamper::Payer)),
        1 => Just(Some(Tamper::UnknownReference)),
        1 => Just(Some(Tamper::BadSignature)),
    ]
}

/// Two deliveries at once now and then.
fn twice() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.25)
}

fn start() -> impl Strategy<Value = Op> {
    (
        0..INVOICES,
        via(),
        checkout_fault(),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(invoice, via, fault, later)| Op::Start {
            invoice,
            via,
            fault,
            later,
        })
}

/// Any one operation.
pub fn op() -> impl Strategy<Value = Op> {
    let attempt = 0..8usize;
    prop_oneof![
        6 => start(),
        5 => attempt.clone().prop_map(|attempt| Op::CustomerPays { attempt }),
        2 => attempt.clone().prop_map(|attempt| Op::CustomerDeclines { attempt }),
        1 => attempt.clone().prop_map(|attempt| Op::GatewayReverses { attempt }),
        5 => (attempt.clone(), twice(), status_fault())
            .prop_map(|(attempt, twice, fault)| Op::PesapalIpn { attempt, twice, fault }),
        2 => (attempt.clone(), twice()).prop_map(|(attempt, with_ipn)| Op::PesapalReturn { attempt, with_ipn }),
        5 => (attempt.clone(), twice(), tamper())
            .prop_map(|(attempt, twice, tamper)| Op::AzamPayCallback { attempt, twice, tamper }),
        1 => attempt.prop_map(|attempt| Op::StaleAzamPayFailure { attempt }),
        2 => (prop::bool::weighted(0.3), twice()).prop_map(|(later, twice)| Op::Reconcile { later, twice }),
    ]
}

/// A story: one to three payment starts (so that most operations find an attempt to act on),
/// then up to `max` operations of any kind.
pub fn story(max: usize) -> impl Strategy<Value = Vec<Op>> {
    (
        prop::collection::vec(start(), 1..=3),
        prop::collection::vec(op(), 0..=max),
    )
        .prop_map(|(mut starts, rest)| {
            starts.extend(rest);
            starts
        })
}
