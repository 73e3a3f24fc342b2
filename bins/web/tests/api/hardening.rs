//! Production hardening: security headers, HTTPS redirect, cookies (filled in by the hardening work).
