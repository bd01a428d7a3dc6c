#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hosync_fuzz::bundle::bundle_import(data));
