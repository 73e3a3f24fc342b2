//! [`SimulatorHandle`]: control a simulator from Rust (faults, counters, outcomes, deliveries),
//! and the snapshots and errors it hands out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::amount::Amount;
use crate::config::{PushOutcome, SimulatorConfig};
use crate::faults::{Endpoint, Fault};
use crate::state::{State, lock};
use crate::{azampay, pesapal};

/// Why a simulator handle operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    /// No such Pesapal order or AzamPay transaction.
    #[error("unknown reference `{0}`")]
    Unknown(String),
    /// The order or transaction is no longer pending (or not completed, for a reversal).
    #[error("`{0}` is not in a state that allows this")]
    WrongState(String),
    /// The development key could not be used.
    #[error("signing failed")]
    Signing,
    /// A callback body could not be written as JSON.
    #[error("the callback body could not be encoded")]
    Encoding,
}

/// Where a notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A Pesapal IPN.
    PesapalIpn,
    /// An AzamPay callback.
    AzamPayCallback,
}

/// One delivery attempt of an IPN or callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// IPN or callback.
    pub kind: DeliveryKind,
    /// Target URL (for GET IPNs including the query).
    pub url: String,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Body sent (empty for GET).
    pub body: String,
    /// HTTP status answered, `None` when unreachable.
    pub http_status: Option<u16>,
    /// Whether the answer counted as an acknowledgement.
    pub acknowledged: bool,
    /// 1 for the first attempt.
    pub attempt: u32,
}

/// A snapshot of a simulated Pesapal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    /// `order_tracking_id`.
    pub order_tracking_id: String,
    /// `merchant_reference`.
    pub merchant_reference: String,
    /// Amount ordered.
    pub amount: Amount,
    /// `PENDING`, `COMPLETED`, `FAILED` or `REVERSED`.
    pub status: &'static str,
    /// The amount of the refund requested for it (Pesapal takes one per payment), if any.
    pub refund_requested: Option<Amount>,
}

/// A snapshot of a simulated AzamPay transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionView {
    /// `transactionId`.
    pub transaction_id: String,
    /// `externalId` / `referenceId` (comes back as `utilityref`).
    pub external_id: String,
    /// Amount.
    pub amount: Amount,
    /// `accountNumber` as received.
    pub msisdn: String,
    /// Provider as received.
    pub provider: String,
    /// `pending`, `success` or `failure`.
    pub status: &'static str,
}

/// Controls a simulator from Rust: faults, counters, outcomes, deliveries.
#[derive(Clone)]
pub struct SimulatorHandle {
    state: Arc<State>,
}

impl std::fmt::Debug for SimulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorHandle").finish_non_exhaustive()
    }
}

impl SimulatorHandle {
    /// Adds a fault for the next `times` calls of `endpoint` (after those already queued).
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: u32) {
        lock(&self.state.faults).push(endpoint, fault, times);
    }

    /// The next `times` calls of `endpoint` answer `status` (empty body).
    pub fn fail_next(&self, endpoint: Endpoint, times: u32, status: u16) {
        self.inject(endpoint, Fault::Status { status, body: None }, times);
    }

    /// The next `times` calls of `endpoint` wait `delay` first.
    pub fn delay_next(&self, endpoint: Endpoint, times: u32, delay: Duration) {
        self.inject(endpoint, Fault::Delay(delay), times);
    }

    /// The next `times` calls of `endpoint` get their connection closed without an answer.
    pub fn drop_next(&self, endpoint: Endpoint, times: u32) {
        self.inject(endpoint, Fault::Drop, times);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// How many calls reached `endpoint` (faulted ones included).
    #[must_use]
    pub fn calls(&self, endpoint: Endpoint) -> u64 {
        lock(&self.state.faults).calls(endpoint)
    }

    /// Sets every call counter to zero.
    pub fn reset_calls(&self) {
        lock(&self.state.faults).reset_calls();
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.state.config).token_lifetime = lifetime;
    }

    /// Changes where AzamPay callbacks go.
    pub fn set_azampay_callback_url(&self, url: Option<String>) {
        lock(&self.state.config).azampay_callback_url = url;
    }

    /// Changes how pushes end (for checkouts made from now on).
    pub fn set_azampay_push(&self, outcome: PushOutcome) {
        lock(&self.state.config).azampay_push = outcome;
    }

    /// Changes the whole configuration.
    pub fn update_config(&self, f: impl FnOnce(&mut SimulatorConfig)) {
        f(&mut lock(&self.state.config));
    }

    /// Every delivery attempt so far.
    #[must_use]
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.state.deliveries).clone()
    }

    /// Waits until at least `n` delivery attempts were recorded, or `timeout` passed.
    pub async fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let d = self.deliveries();
            if d.len() >= n || tokio::time::Instant::now() >= deadline {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The Pesapal order, if it exists.
    #[must_use]
    pub fn pesapal_order(&self, order_tracking_id: &str) -> Option<OrderView> {
        lock(&self.state.pesapal).view(order_tracking_id)
    }

    /// Every Pesapal order.
    #[must_use]
    pub fn pesapal_orders(&self) -> Vec<OrderView> {
        lock(&self.state.pesapal).views()
    }

    /// Marks a pending order paid and sends its IPN, as if the customer paid.
    pub fn complete_pesapal_order(&self, order_tracking_id: &str) -> Result<(), SimulatorError> {
        pesapal::settle(&self.state, order_tracking_id, pesapal::Outcome::Pay)
    }

    /// Marks a pending order failed and sends its IPN.
    pub fn fail_pesapal_order(&self, order_tracking_id: &str) -> Result<(), SimulatorError> {
        pesapal::settle(&self.state, order_tracking_id, pesapal::Outcome::Fail)
    }

    /// Reverses a completed order and sends its IPN.
    pub fn reverse_pesapal_order(&self, order_tracking_id: &str) -> Result<(), SimulatorError> {
        pesapal::settle(&self.state, order_tracking_id, pesapal::Outcome::Reverse)
    }

    /// The AzamPay transaction, if it exists.
    #[must_use]
    pub fn azampay_transaction(&self, transaction_id: &str) -> Option<TransactionView> {
        lock(&self.state.azampay).view(transaction_id)
    }

    /// Every AzamPay transaction.
    #[must_use]
    pub fn azampay_transactions(&self) -> Vec<TransactionView> {
        lock(&self.state.azampay).views()
    }

    /// The customer approves the push: the transaction succeeds and the callback is sent.
    pub fn approve_azampay(&self, transaction_id: &str) -> Result<(), SimulatorError> {
        azampay::settle(&self.state, transaction_id, true)
    }

    /// The customer declines: the transaction fails and the callback is sent.
    pub fn fail_azampay(&self, transaction_id: &str) -> Result<(), SimulatorError> {
        azampay::settle(&self.state, transaction_id, false)
    }

    /// The callback body the simulator would send for this transaction with this outcome
    /// (signed per the configuration), without sending it or changing anything.
    pub fn azampay_callback_body(
        &self,
        transaction_id: &str,
        success: bool,
    ) -> Result<Vec<u8>, SimulatorError> {
        azampay::callback_body(&self.state, transaction_id, success)
    }

    /// The PEM public key the simulator serves and signs with now
    /// ([`crate::DEV_PUBLIC_KEY_PEM`] until the first [`SimulatorHandle::rotate_azampay_key`]).
    #[must_use]
    pub fn public_key_pem(&self) -> &'static str {
        lock(&self.state.azampay).public_key_pem()
    }

    /// AzamPay replaces its signing key: callbacks made from now on are signed with another
    /// key pair, and the public-key endpoints serve its public half (each call switches).
    pub fn rotate_azampay_key(&self) {
        lock(&self.state.azampay).rotate_key();
    }

    /// Calls per endpoint.
    #[must_use]
    pub fn all_calls(&self) -> HashMap<&'static str, u64> {
        lock(&self.state.faults)
            .all_calls()
            .into_iter()
            .map(|(e, n)| (e.as_str(), n))
            .collect()
    }
}

impl SimulatorHandle {
    pub(crate) fn from_state(state: Arc<State>) -> SimulatorHandle {
        SimulatorHandle { state }
    }
}
