//! libFuzzer entry of the `pesapal_ipn` target; the checks are in `wetech_fuzz::pesapal_ipn`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wetech_fuzz::pesapal_ipn(data));
