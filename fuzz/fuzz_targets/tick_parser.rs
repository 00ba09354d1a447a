//! The JSON tick parser (and the strip-line fallback) on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_731_423_600, 0).expect("a valid time");
    let _ = tickertape_market::tick::parse_tick(data, now);
});
