//! Stories the model found that the settlement code once got wrong, kept as fixed sequences (the
//! shrunk form the property test printed) so that each stays fixed; docs/payments.md lists them.

use wetech_persistence::Backend;
use wetech_test_db::TestDb;

use crate::ops::{CheckoutFault, Op, Via};
use crate::run_story;

fn pesapal_start() -> Op {
    Op::Start {
        invoice: 0,
        via: Via::Pesapal,
        fault: None,
        later: false,
    }
}

/// Runs a fixed story on `backend` against the model.
fn story(backend: Backend, ops: &[Op]) {
    let rt = crate::runtime();
    let sim = crate::simulator(&rt);
    let result = rt.block_on(run_story(backend, &sim, ops));
    rt.block_on(sim.stop());
    if let Err(e) = result {
        panic!("{backend:?}: {e}");
    }
}

wetech_test_db::backend_tests! {
    /// The customer leaves Pesapal's page without paying: the order stays PENDING at Pesapal.
    /// Reconcile once answered "still pending" for ever; now a late one expires the attempt.
    fn an_abandoned_pesapal_checkout_is_not_pending_forever(db: &TestDb) {
        story(db.backend(), &[pesapal_start()]);
    }

    /// The customer pays and Pesapal reverses the payment before any IPN reached us: the status
    /// answer is REVERSED for an attempt still pending. It was ignored, leaving attempt and
    /// invoice pending for ever; now the attempt ends `reversed` and the invoice is unpaid.
    fn a_reversal_seen_before_the_payment_ends_the_attempt(db: &TestDb) {
        story(
            db.backend(),
            &[
                pesapal_start(),
                Op::CustomerPays { attempt: 0 },
                Op::GatewayReverses { attempt: 0 },
            ],
        );
    }

    /// The customer pays twice (an attempt whose answer timed out, and a second one); the
    /// second payment is put under review for a refund, then Pesapal reverses it. The first
    /// payment still stands, and so does the invoice's `paid` (a reversal once un-paid it
    /// whichever attempt paid it).
    fn reversing_a_second_payment_leaves_the_invoice_paid(db: &TestDb) {
        story(
            db.backend(),
            &[
                Op::Start {
                    invoice: 0,
                    via: Via::Pesapal,
                    fault: Some(CheckoutFault::Timeout),
                    later: false,
                },
                pesapal_start(),
                Op::CustomerPays { attempt: 0 },
                Op::CustomerPays { attempt: 0 },
                Op::PesapalIpn { attempt: 0, twice: false, fault: None },
                Op::PesapalIpn { attempt: 1, twice: false, fault: None },
                Op::GatewayReverses { attempt: 1 },
                Op::PesapalIpn { attempt: 1, twice: false, fault: None },
            ],
        );
    }
}
