#![no_main]

libfuzzer_sys::fuzz_target!(
    init: hosync_fuzz::report_panics_without_aborting(),
    |data: &[u8]| hosync_fuzz::import::import(data)
);
