//! wetech-fuzz: what each fuzz target does with one input. The libFuzzer binaries in
//! `fuzz_targets/` call these functions, and so does the corpus replay test (`tests/replay.rs`),
//! which `.ci/run` runs without libFuzzer. Each function returns normally for every input and
//! panics only when a parser panics or breaks one of the properties it checks (fuzz/README.md).
//!
//! | target | what |
//! |---|---|
//! | [`pesapal_ipn`] | Pesapal IPN: GET query, POST JSON or form body |
//! | [`azampay_callback`] | AzamPay callback: path token, body, RSA signature; public keys |
//! | [`status_answers`] | the status answers of Pesapal and AzamPay |
//! | [`domain`] | the domain parsers and both crates' decimal money parsing |
//!
//! [`TARGETS`] names them all, for the replay test.

mod azampay_callback;
mod domain;
mod input;
mod pesapal_ipn;
mod status_answers;

pub use azampay_callback::azampay_callback;
pub use domain::domain;
pub use pesapal_ipn::pesapal_ipn;
pub use status_answers::status_answers;

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// Every target by its name (the name of its binary and of its corpus folder).
pub const TARGETS: [(&str, Target); 4] = [
    ("pesapal_ipn", pesapal_ipn),
    ("azampay_callback", azampay_callback),
    ("status_answers", status_answers),
    ("domain", domain),
];
