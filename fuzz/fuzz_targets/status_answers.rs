//! libFuzzer entry of the `status_answers` target; the checks are in `wetech_fuzz::status_answers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wetech_fuzz::status_answers(data));
