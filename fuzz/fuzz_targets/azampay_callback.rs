//! libFuzzer entry of the `azampay_callback` target; the checks are in `wetech_fuzz::azampay_callback`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wetech_fuzz::azampay_callback(data));
