//! The text-page parser on any UTF-8 text: a page or a refusal, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tickertape_articles::page::parse_page(text);
    }
});
