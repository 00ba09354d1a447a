//! The ticker-strip line parser on any UTF-8 line.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = tickertape_market::strip::parse_strip_line(line);
    }
});
