//! What the articles service reads first: any bytes as a raw-page message
//! (a text page, or a JSON envelope around one).
#![no_main]

use tickertape_processor::Input;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_731_423_600, 0).expect("a valid time");
    let input = Input::unkeyed("articles.raw", data, now);
    let _ = tickertape_articles::input::decode(&input, 1 << 20);
});
