//! Simulated endpoints, call counters and fault injection.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::Bytes;

/// An endpoint of a simulated gateway, for call counting and fault injection. The string form
/// (`pesapal.token`, …) is what the control API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `pesapal.token`: `POST api/Auth/RequestToken`.
    PesapalToken,
    /// `pesapal.register_ipn`: `POST api/URLSetup/RegisterIPN`.
    PesapalRegisterIpn,
    /// `pesapal.ipn_list`: `GET api/URLSetup/GetIpnList`.
    PesapalIpnList,
    /// `pesapal.submit_order`: `POST api/Transactions/SubmitOrderRequest`.
    PesapalSubmitOrder,
    /// `pesapal.status`: `GET api/Transactions/GetTransactionStatus`.
    PesapalStatus,
    /// `pesapal.refund`: `POST api/Transactions/RefundRequest`.
    PesapalRefund,
    /// `pesapal.cancel`: `POST api/Transactions/CancelOrder`.
    PesapalCancel,
    /// `azampay.token`: `POST AppRegistration/GenerateToken`.
    AzamPayToken,
    /// `azampay.mno_checkout`: `POST azampay/mno/checkout`.
    AzamPayMnoCheckout,
    /// `azampay.bank_checkout`: `POST azampay/bank/checkout`.
    AzamPayBankCheckout,
    /// `azampay.partners`: `GET api/v1/Partner/GetPaymentPartners`.
    AzamPayPartners,
    /// `azampay.public_key`: `GET azampay/v1/public-key` (and `api/Token/PublicKey`).
    AzamPayPublicKey,
    /// `azampay.status`: `GET azampay/gettransactionstatus` (simulator-only, unconfirmed).
    AzamPayStatus,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 13] = [
        Endpoint::PesapalToken,
        Endpoint::PesapalRegisterIpn,
        Endpoint::PesapalIpnList,
        Endpoint::PesapalSubmitOrder,
        Endpoint::PesapalStatus,
        Endpoint::PesapalRefund,
        Endpoint::PesapalCancel,
        Endpoint::AzamPayToken,
        Endpoint::AzamPayMnoCheckout,
        Endpoint::AzamPayBankCheckout,
        Endpoint::AzamPayPartners,
        Endpoint::AzamPayPublicKey,
        Endpoint::AzamPayStatus,
    ];

    /// The control-API name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Endpoint::PesapalToken => "pesapal.token",
            Endpoint::PesapalRegisterIpn => "pesapal.register_ipn",
            Endpoint::PesapalIpnList => "pesapal.ipn_list",
            Endpoint::PesapalSubmitOrder => "pesapal.submit_order",
            Endpoint::PesapalStatus => "pesapal.status",
            Endpoint::PesapalRefund => "pesapal.refund",
            Endpoint::PesapalCancel => "pesapal.cancel",
            Endpoint::AzamPayToken => "azampay.token",
            Endpoint::AzamPayMnoCheckout => "azampay.mno_checkout",
            Endpoint::AzamPayBankCheckout => "azampay.bank_checkout",
            Endpoint::AzamPayPartners => "azampay.partners",
            Endpoint::AzamPayPublicKey => "azampay.public_key",
            Endpoint::AzamPayStatus => "azampay.status",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of [`Endpoint::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown simulator endpoint `{0}`")]
pub struct UnknownEndpoint(pub String);

impl FromStr for Endpoint {
    type Err = UnknownEndpoint;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownEndpoint(s.chars().take(64).collect()))
    }
}

/// What a fault does to one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status (and body; 5xx default to an empty body like AzamPay's).
    Status {
        /// HTTP status.
        status: u16,
        /// Optional body (sent as JSON content type).
        body: Option<String>,
    },
    /// Wait, then handle the call normally (so a client that gave up may still have "reached"
    /// the gateway).
    Delay(Duration),
    /// Close the connection without an answer. The request is read but not acted upon (no
    /// order or push is created), so a client sees what a lost connection looks like; a test
    /// that needs "acted upon, answer lost" uses a [`Fault::Delay`] longer than the client's
    /// timeout instead.
    Drop,
}

#[derive(Default)]
pub(crate) struct Faults {
    queues: HashMap<Endpoint, VecDeque<(Fault, u32)>>,
    calls: HashMap<Endpoint, u64>,
}

impl Faults {
    pub(crate) fn push(&mut self, endpoint: Endpoint, fault: Fault, times: u32) {
        if times > 0 {
            self.queues
                .entry(endpoint)
                .or_default()
                .push_back((fault, times));
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queues.clear();
    }

    pub(crate) fn reset_calls(&mut self) {
        self.calls.clear();
    }

    pub(crate) fn calls(&self, endpoint: Endpoint) -> u64 {
        self.calls.get(&endpoint).copied().unwrap_or(0)
    }

    pub(crate) fn all_calls(&self) -> Vec<(Endpoint, u64)> {
        Endpoint::ALL
            .into_iter()
            .map(|e| (e, self.calls(e)))
            .collect()
    }

    /// Counts a call and takes the next fault for it, if any.
    pub(crate) fn arrive(&mut self, endpoint: Endpoint) -> Option<Fault> {
        *self.calls.entry(endpoint).or_insert(0) += 1;
        let queue = self.queues.get_mut(&endpoint)?;
        let (fault, left) = queue.front_mut()?;
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(fault)
    }
}

/// A response whose body fails at once: actix closes the connection without sending anything.
pub(crate) fn dropped_connection() -> HttpResponse {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("simulated connection drop"))
    });
    HttpResponse::Ok().streaming(stream)
}

pub(crate) fn status_response(status: u16, body: Option<String>) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(code);
    match body {
        Some(b) => builder
            .content_type("application/json; charset=utf-8")
            .body(b),
        None => builder.finish(),
    }
}
