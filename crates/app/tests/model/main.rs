//! A model-based property test of the settlement path (issue 12, point 6).
//!
//! proptest generates stories: sequences of payment starts through either gateway (with refusals,
//! 5xx, lost connections and timeouts), customers paying or declining at the gateway, reversals,
//! Pesapal IPNs and browser returns (with faulty and forged status answers), AzamPay callbacks
//! (with a wrong amount, payer, reference or signature), stale failures, duplicated and concurrent
//! deliveries, and reconcile runs, on a few invoices. Each story runs against the real
//! `wetech_app::UseCases` on a fresh database (SQLite file, throwaway PostgreSQL), with the
//! gateway simulator answering over HTTP; after every step the database is compared with the
//! reference model (`reference.rs`) and the invariants of `checks.rs`, and at the end a final
//! reconcile, long after every threshold, must leave no attempt pending.
//!
//! `PROPTEST_CASES` sets the number of stories per backend (default [`DEFAULT_CASES`]); a
//! failing story is shrunk and printed as its list of operations (docs/flow.md, "Model test").
//!
//! | module | what |
//! |---|---|
//! | `ops` | the operations and their strategies |
//! | `reference` | the reference model |
//! | `world` | the real system and how each operation is carried out on it |
//! | `checks` | the invariants |
//! | `found` | stories the model found that the code once got wrong, kept fixed (docs/payments.md) |
#![expect(clippy::unwrap_used, reason = "tests")]

mod checks;
mod found;
mod ops;
mod reference;
mod world;

use std::time::Duration;

use proptest::test_runner::{Config, TestCaseError, TestRunner};
use wetech_gateway_sim::{RunningSimulator, Simulator, SimulatorConfig};
use wetech_persistence::Backend;
use wetech_test_db::TestDb;

use crate::ops::Op;
use crate::reference::Model;
use crate::world::World;

/// Stories per backend when `PROPTEST_CASES` is not set (well under a minute on two cores).
pub const DEFAULT_CASES: u32 = 24;
/// The longest story.
const MAX_STEPS: usize = 28;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Both gateways, delivering nothing by themselves: the story decides when a notification
/// arrives.
pub fn simulator(rt: &tokio::runtime::Runtime) -> RunningSimulator {
    rt.block_on(async {
        Simulator::new(SimulatorConfig {
            delivery_attempts: 0,
            azampay_callback_url: None,
            delivery_retry_delay: Duration::from_millis(10),
            ..SimulatorConfig::default()
        })
        .spawn()
        .unwrap()
    })
}

/// Runs one story on a fresh database of `backend`, checking after every step. The error is
/// the story so far with what went wrong.
pub async fn run_story(
    backend: Backend,
    sim: &RunningSimulator,
    story: &[Op],
) -> Result<(), String> {
    let Some(db) = TestDb::new(backend) else {
        return Ok(());
    };
    let world = World::new(&db, sim).await;
    let mut model = Model::new(ops::INVOICES);
    let mut seen = checks::Seen::default();
    let mut log = Vec::new();
    let fail =
        |log: &[String], what: String| format!("{what}\nthe story so far:\n  {}", log.join("\n  "));
    for (n, op) in story.iter().enumerate() {
        let done = world.step(&mut model, op).await;
        log.push(format!(
            "{n}: {op:?} -> {}",
            done.as_ref().map_or("error", |d| d)
        ));
        if std::env::var_os("MODEL_LOG").is_some() {
            eprintln!("{}", log[n]);
        }
        done.map_err(|e| fail(&log, e))?;
        checks::after_step(&world, &model, &mut seen).map_err(|e| fail(&log, e))?;
    }
    world
        .final_reconcile(&mut model)
        .await
        .map_err(|e| fail(&log, e))?;
    log.push("final: Reconcile { later: true, twice: false }".to_owned());
    checks::after_step(&world, &model, &mut seen).map_err(|e| fail(&log, e))?;
    checks::at_end(&world).map_err(|e| fail(&log, e))
}

/// Generates `cases()` stories, runs each on a fresh database of `backend`, and panics with the
/// shrunk failing story.
fn property(backend: Backend) {
    if backend == Backend::Postgres && TestDb::postgres().is_none() {
        return;
    }
    let rt = runtime();
    let sim = simulator(&rt);
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 400,
        ..Config::default()
    });
    let result = runner.run(&ops::story(MAX_STEPS), |story| {
        rt.block_on(run_story(backend, &sim, &story))
            .map_err(TestCaseError::fail)
    });
    rt.block_on(sim.stop());
    if let Err(e) = result {
        panic!("{backend:?}: {e}");
    }
}

wetech_test_db::backend_tests! {
    /// Every invariant after every step, and nothing pending after the final reconcile.
    fn settlement_follows_the_model(db: &TestDb) {
        property(db.backend());
    }
}
