//! libFuzzer entry of the `domain` target; the checks are in `wetech_fuzz::domain`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wetech_fuzz::domain(data));
