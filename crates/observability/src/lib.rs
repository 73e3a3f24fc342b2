//! wetech-observability: bunyan JSON logs, request ids, slow-request logging and masking.
