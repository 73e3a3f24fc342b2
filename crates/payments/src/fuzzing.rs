//! Entry points for the fuzz targets in `fuzz/` (see fuzz/README.md): the readers of the
//! gateways' status answers, which the clients otherwise reach only over HTTP. Compiled only
//! with the `fuzzing` feature, which nothing in the workspace enables.

use serde_json::Value;

use crate::error::GatewayError;
use crate::gateway::{GatewayStatus, MobileProvider, StatusReport};

fn not_json() -> GatewayError {
    GatewayError::InvalidResponse("status answer is not JSON".into())
}

/// Reads the body of a Pesapal GetTransactionStatus answer as the client does
/// (`TransactionStatusWire` and its `into_report`); `queried` is the tracking id asked about.
pub fn pesapal_status_answer(body: &[u8], queried: &str) -> Result<StatusReport, GatewayError> {
    let wire: crate::pesapal::wire::TransactionStatusWire =
        serde_json::from_slice(body).map_err(|_| not_json())?;
    wire.into_report(queried)
}

/// Reads the body of an AzamPay status answer as the client does once it is a success: its
/// envelope, then `data` as an object or a sentence (`StatusData`).
pub fn azampay_status_answer(
    body: &[u8],
    provider: MobileProvider,
) -> Result<(GatewayStatus, Option<String>), GatewayError> {
    let envelope: crate::azampay::wire::Envelope<Value> =
        serde_json::from_slice(body).map_err(|_| not_json())?;
    Ok(crate::azampay::wire::StatusData::of(envelope.data).into_status(provider))
}
