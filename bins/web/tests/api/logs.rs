//! Logs: request ids, masking, no secret in any sink (filled in by the hardening work).
