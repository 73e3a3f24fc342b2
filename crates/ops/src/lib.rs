//! wetech-ops: health checks, backup, verify and restore.
