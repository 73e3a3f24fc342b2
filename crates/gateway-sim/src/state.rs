//! The shared state of one simulator and the small helpers its routes use.

use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_web::HttpRequest;

use crate::config::SimulatorConfig;
use crate::faults::{self, Fault};
use crate::handle::Delivery;
use crate::{Endpoint, azampay, pesapal};

/// Everything a simulator remembers, shared by its routes and handles.
pub(crate) struct State {
    pub(crate) config: Mutex<SimulatorConfig>,
    pub(crate) faults: Mutex<faults::Faults>,
    pub(crate) pesapal: Mutex<pesapal::PesapalState>,
    pub(crate) azampay: Mutex<azampay::AzamPayState>,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    pub(crate) http: reqwest::Client,
}

/// The path below a host's catch-all route (`{tail:.*}`), without a trailing slash and lower-cased:
/// the real gateways' servers match paths case-insensitively.
pub(crate) fn route_tail(req: &HttpRequest) -> String {
    req.match_info()
        .get("tail")
        .unwrap_or("")
        .trim_end_matches('/')
        .to_ascii_lowercase()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    pub(crate) fn config(&self) -> SimulatorConfig {
        lock(&self.config).clone()
    }

    /// Origin for URLs handed out.
    pub(crate) fn origin(&self, req: &HttpRequest) -> String {
        if let Some(o) = lock(&self.config).public_origin.clone() {
            return o.trim_end_matches('/').to_owned();
        }
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    }

    pub(crate) fn record(&self, d: Delivery) {
        let mut all = lock(&self.deliveries);
        if all.len() >= 1000 {
            all.remove(0);
        }
        all.push(d);
    }

    /// Counts the call and applies the next fault. `Some` = answer with this instead.
    pub(crate) async fn arrive(&self, endpoint: Endpoint) -> Option<actix_web::HttpResponse> {
        let fault = lock(&self.faults).arrive(endpoint);
        match fault {
            None => None,
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                None
            }
            Some(Fault::Status { status, body }) => Some(faults::status_response(status, body)),
            Some(Fault::Drop) => Some(faults::dropped_connection()),
        }
    }
}

/// Spawns `fut` on the current tokio runtime, if there is one.
pub(crate) fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(fut: F) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(fut);
    }
}
