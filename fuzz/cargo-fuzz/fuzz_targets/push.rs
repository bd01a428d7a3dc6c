#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hosync_fuzz::push::push(data));
