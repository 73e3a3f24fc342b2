//! Target `status_answers`: the readers of Pesapal's GetTransactionStatus answer and of
//! AzamPay's status answer, on any body.
//!
//! Input: one byte (bit 0: Pesapal or AzamPay; the other bits: the AzamPay provider), then the
//! body.

use wetech_payments::fuzzing::{azampay_status_answer, pesapal_status_answer};
use wetech_payments::{GatewayStatus, MobileProvider};

use crate::input::Input;

const QUERIED: &str = "fuzz-order-tracking-id";

/// Reads one status answer and checks what a read answer promises.
pub fn status_answers(data: &[u8]) {
    let mut input = Input::new(data);
    let selector = input.byte();
    let body = input.rest();
    if selector & 1 == 0 {
        let Ok(report) = pesapal_status_answer(body, QUERIED) else {
            return;
        };
        assert!(
            !report.gateway_reference.trim().is_empty(),
            "blank gateway reference"
        );
        if let Some(r) = &report.merchant_reference {
            assert!(!r.trim().is_empty(), "blank merchant reference kept");
        }
        check_status(&report.status);
    } else {
        let provider = MobileProvider::ALL[usize::from(selector >> 1) % MobileProvider::ALL.len()];
        let Ok((status, merchant_reference)) = azampay_status_answer(body, provider) else {
            return;
        };
        if let Some(r) = &merchant_reference {
            assert!(!r.trim().is_empty(), "blank merchant reference kept");
        }
        if let GatewayStatus::Completed(d) = &status {
            assert!(!d.method.trim().is_empty(), "completed without a method");
        }
        check_status(&status);
    }
}

/// A failure or reversal has a reason, and a completed amount writes back as itself.
fn check_status(status: &GatewayStatus) {
    match status {
        GatewayStatus::Pending => {}
        GatewayStatus::Completed(d) => {
            let text = d.amount.to_decimal_string();
            let again = wetech_payments::Money::parse_decimal(&text, d.amount.currency());
            assert_eq!(again.ok(), Some(d.amount), "{text} reads back differently");
        }
        GatewayStatus::Failed { reason } | GatewayStatus::Reversed { reason } => {
            assert!(!reason.trim().is_empty(), "a failure without a reason");
        }
    }
}
