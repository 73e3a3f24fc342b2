//! Readiness for systemd (`Type=notify` in deploy/systemd/wetech-web.service): once the listener
//! is bound and the routes are assembled, `READY=1` goes to the socket systemd names in
//! `NOTIFY_SOCKET`, so units ordered after the site start only when it can answer. Without that
//! variable (a shell, a container, the tests) nothing is sent.

use std::net::SocketAddr;

/// Tells the service manager that the site is ready, and where it listens. A failure to tell it
/// is logged and otherwise ignored: the site serves either way, and systemd reports the unit's
/// start as timed out, which the operator sees.
pub fn ready(address: SocketAddr) {
    let status = format!("listening on {address}");
    let states = [
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&status),
    ];
    if let Err(e) = sd_notify::notify(&states) {
        tracing::warn!(error = %e, "cannot tell systemd that the site is ready");
    }
}
