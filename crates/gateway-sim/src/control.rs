//! `/_simulator/control/…`: the HTTP form of [`SimulatorHandle`].

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::config::{MsisdnForm, PushOutcome};
use crate::faults::{Endpoint, Fault};
use crate::handle::{SimulatorError, SimulatorHandle};
use crate::state::{State, lock};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/control/faults", web::post().to(add_fault))
        .route("/control/faults", web::delete().to(clear_faults))
        .route("/control/calls", web::get().to(calls))
        .route("/control/reset", web::post().to(reset))
        .route("/control/deliveries", web::get().to(deliveries))
        .route("/control/config", web::put().to(update_config))
        .route("/control/azampay/rotate-key", web::post().to(rotate_key))
        .route(
            "/control/pesapal/orders/{id}/{action}",
            web::post().to(pesapal_action),
        )
        .route(
            "/control/azampay/transactions/{id}/{action}",
            web::post().to(azampay_action),
        );
}

fn handle(state: web::Data<State>) -> SimulatorHandle {
    SimulatorHandle::from_state(state.into_inner())
}

fn bad(message: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .json(json!({"error": {"code": "malformed_request", "message": message}}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultIn {
    endpoint: String,
    kind: String,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

async fn add_fault(state: web::Data<State>, body: web::Bytes) -> HttpResponse {
    let Ok(f) = serde_json::from_slice::<FaultIn>(&body) else {
        return bad(
            "expected {\"endpoint\",\"kind\":\"status|delay|drop\",\"status\"?,\"delay_ms\"?,\"times\"?}",
        );
    };
    let Ok(endpoint) = f.endpoint.parse::<Endpoint>() else {
        return bad("unknown endpoint");
    };
    let fault = match (f.kind.as_str(), f.status, f.delay_ms) {
        ("status", Some(status), _) if (100..=599).contains(&status) => Fault::Status {
            status,
            body: f.body,
        },
        ("delay", _, Some(ms)) if ms <= 120_000 => Fault::Delay(Duration::from_millis(ms)),
        ("drop", _, _) => Fault::Drop,
        _ => {
            return bad(
                "kind must be status (with status), delay (with delay_ms ≤ 120000) or drop",
            );
        }
    };
    handle(state).inject(endpoint, fault, f.times.min(1000));
    HttpResponse::NoContent().finish()
}

async fn clear_faults(state: web::Data<State>) -> HttpResponse {
    handle(state).clear_faults();
    HttpResponse::NoContent().finish()
}

async fn calls(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(handle(state).all_calls())
}

async fn reset(state: web::Data<State>) -> HttpResponse {
    let h = handle(state);
    h.clear_faults();
    h.reset_calls();
    HttpResponse::NoContent().finish()
}

async fn deliveries(state: web::Data<State>) -> HttpResponse {
    let list: Vec<_> = handle(state)
        .deliveries()
        .into_iter()
        .map(|d| {
            json!({"kind": format!("{:?}", d.kind), "url": d.url, "method": d.method, "body": d.body,
                   "http_status": d.http_status, "acknowledged": d.acknowledged, "attempt": d.attempt})
        })
        .collect();
    HttpResponse::Ok().json(list)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PushIn {
    mode: String,
    #[serde(default)]
    after_ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigIn {
    #[serde(default)]
    token_lifetime_secs: Option<u64>,
    #[serde(default)]
    azampay_callback_url: Option<String>,
    #[serde(default)]
    azampay_push: Option<PushIn>,
    /// `text`, `number`, `missing`, `null` or `empty` (see [`MsisdnForm`]).
    #[serde(default)]
    azampay_callback_msisdn: Option<String>,
}

async fn update_config(state: web::Data<State>, body: web::Bytes) -> HttpResponse {
    let Ok(c) = serde_json::from_slice::<ConfigIn>(&body) else {
        return bad("unknown or malformed config field");
    };
    let push = match c.azampay_push {
        None => None,
        Some(p) => {
            let after = Duration::from_millis(p.after_ms.min(600_000));
            match p.mode.as_str() {
                "manual" => Some(PushOutcome::Manual),
                "approve" => Some(PushOutcome::Approve { after }),
                "fail" => Some(PushOutcome::Fail { after }),
                _ => return bad("azampay_push.mode must be manual, approve or fail"),
            }
        }
    };
    let msisdn = match c.azampay_callback_msisdn.as_deref() {
        None => None,
        Some("text") => Some(MsisdnForm::Text),
        Some("number") => Some(MsisdnForm::Number),
        Some("missing") => Some(MsisdnForm::Missing),
        Some("null") => Some(MsisdnForm::Null),
        Some("empty") => Some(MsisdnForm::Empty),
        Some(_) => {
            return bad("azampay_callback_msisdn must be text, number, missing, null or empty");
        }
    };
    let state: Arc<State> = state.into_inner();
    let mut config = lock(&state.config);
    if let Some(m) = msisdn {
        config.azampay_callback_shape.msisdn = m;
    }
    if let Some(s) = c.token_lifetime_secs {
        config.token_lifetime = Duration::from_secs(s.clamp(1, 86_400));
    }
    if let Some(u) = c.azampay_callback_url {
        config.azampay_callback_url = Some(u).filter(|u| !u.trim().is_empty());
    }
    if let Some(p) = push {
        config.azampay_push = p;
    }
    HttpResponse::NoContent().finish()
}

/// `POST /control/azampay/rotate-key`: AzamPay replaces its signing key.
async fn rotate_key(state: web::Data<State>) -> HttpResponse {
    handle(state).rotate_azampay_key();
    HttpResponse::NoContent().finish()
}

fn outcome(result: Result<(), SimulatorError>) -> HttpResponse {
    match result {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(SimulatorError::Unknown(_)) => HttpResponse::NotFound().finish(),
        Err(e) => HttpResponse::Conflict()
            .json(json!({"error": {"code": "conflict", "message": e.to_string()}})),
    }
}

async fn pesapal_action(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = req.match_info().get("id").unwrap_or("").to_owned();
    let h = handle(state);
    match req.match_info().get("action") {
        Some("complete") => outcome(h.complete_pesapal_order(&id)),
        Some("fail") => outcome(h.fail_pesapal_order(&id)),
        Some("reverse") => outcome(h.reverse_pesapal_order(&id)),
        _ => bad("action must be complete, fail or reverse"),
    }
}

async fn azampay_action(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let id = req.match_info().get("id").unwrap_or("").to_owned();
    let h = handle(state);
    match req.match_info().get("action") {
        Some("approve") => outcome(h.approve_azampay(&id)),
        Some("fail") => outcome(h.fail_azampay(&id)),
        _ => bad("action must be approve or fail"),
    }
}
