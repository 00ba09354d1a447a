//! HTML pages on any bytes: the charset decoder, then the reader (shape
//! scan, DOM, metadata, both extractors); a page or a refusal, never a
//! panic, a stall or a stack overflow.
#![no_main]

use tickertape_articles::html::{charset::decode_html, read_html, HtmlLimits};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(html) = decode_html(data, None) {
        let _ = read_html(&html, &HtmlLimits::default());
    }
});
