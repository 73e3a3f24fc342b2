//! `ops reconcile` and `ops pesapal register-ipn`: the payment use cases of `wetech-app`, run from
//! the command line against the configured database and gateways.

use std::time::Duration;

use serde::Serialize;
use wetech_app::{ReconcileChange, UseCases};
use wetech_persistence::UnitOfWork;
use wetech_runtime::{Settings, build_gateways, simulator_urls};

use crate::output;
use crate::{Failure, Outcome};

/// The use cases as `web` builds them. In simulator mode the simulator is the one mounted in the
/// running `web` at `server.public_url`.
fn use_cases(settings: &Settings) -> Result<UseCases, Failure> {
    let pool = crate::database::migrated_pool(&settings.database)?;
    let public = settings.server.public_base();
    let gateways = build_gateways(settings, Some(&simulator_urls(public)))?;
    Ok(UseCases::new(
        UnitOfWork::new(pool),
        gateways,
        public,
        settings.checkout.clone(),
    ))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

#[derive(Serialize)]
struct Reconciled<'a> {
    older_than_seconds: u64,
    checked: usize,
    changes: &'a [ReconcileChange],
}

/// `ops reconcile [--older-than SECONDS]`.
pub(crate) fn reconcile(settings: &Settings, older_than: u64, json: bool) -> Outcome {
    let app = use_cases(settings)?;
    let changes = runtime()?.block_on(app.reconcile(Duration::from_secs(older_than)))?;
    let errors = changes
        .iter()
        .filter(|c| c.outcome.starts_with("error"))
        .count();
    if json {
        output::print_json(&Reconciled {
            older_than_seconds: older_than,
            checked: changes.len(),
            changes: &changes,
        })?;
    } else if changes.is_empty() {
        outln!("no payment attempt open for more than {older_than} s");
    } else {
        outln!(
            "checked {} payment attempt(s) open for more than {older_than} s:",
            changes.len()
        );
        for c in &changes {
            outln!(
                "  {} {} ({}): {}",
                c.payment_id,
                c.gateway,
                c.from,
                c.outcome
            );
        }
    }
    if errors > 0 {
        errln!("ops: {errors} attempt(s) could not be checked; run again later");
        return Err(Failure::Reported);
    }
    Ok(())
}

#[derive(Serialize)]
struct Registered<'a> {
    ipn_id: &'a str,
    url: &'a str,
}

/// `ops pesapal register-ipn [URL]`.
pub(crate) fn register_ipn(settings: &Settings, url: Option<&str>, json: bool) -> Outcome {
    if let Some(u) = url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(Failure::Usage(format!(
            "{u}: the IPN URL must be an absolute http(s) URL"
        )));
    }
    let app = use_cases(settings)?;
    let default_url = format!(
        "{}{}",
        settings.server.public_base(),
        wetech_app::paths::PESAPAL_IPN
    );
    let url = url.unwrap_or(&default_url);
    let ipn_id = runtime()?.block_on(app.register_pesapal_ipn(Some(url)))?;
    if json {
        output::print_json(&Registered {
            ipn_id: &ipn_id,
            url,
        })?;
    } else {
        outln!("IPN URL {url} is registered with Pesapal");
        outln!("{ipn_id}");
    }
    Ok(())
}
