#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hosync_fuzz::staff_api::staff_api(data));
