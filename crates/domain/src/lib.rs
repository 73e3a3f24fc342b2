//! wetech-domain: the value types and rules of the lead-to-payment service. No I/O.
//!
//! Every value that crosses the HTTP edge is parsed into one of these types once; past that edge
//! nothing handles raw strings.

pub mod status;

pub use status::{
    AttemptEvent, AttemptStatus, IllegalTransition, InvoiceEvent, InvoiceStatus, UnknownStatus,
};
