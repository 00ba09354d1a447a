//! The prices processor on any message, keyed by its first word: records or
//! a dead letter, never a panic. Its price book carries over from input to
//! input, as in the service.
#![no_main]

use std::sync::{Mutex, OnceLock};

use tickertape_market::instruments::Catalog;
use tickertape_prices::config::PricesSettings;
use tickertape_prices::metrics::PriceMetrics;
use tickertape_prices::processor::PriceProcessor;
use tickertape_processor::{Input, Processor};

fn processor() -> &'static Mutex<PriceProcessor> {
    static PROCESSOR: OnceLock<Mutex<PriceProcessor>> = OnceLock::new();
    PROCESSOR.get_or_init(|| {
        Mutex::new(PriceProcessor::new(
            &PricesSettings::default(),
            Catalog::builtin(),
            PriceMetrics::unregistered(),
        ))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_731_423_600, 0).expect("a valid time");
    let mut input = Input::unkeyed("ticks.raw", data, now);
    // Keyed like a feed keys ticks (sometimes wrongly): by the first word.
    let key = data
        .split(|b| b.is_ascii_whitespace())
        .next()
        .unwrap_or_default();
    input.key = Some(key);
    input.partition = i32::from(data.first().copied().unwrap_or(0) % 4);
    let mut processor = processor().lock().unwrap_or_else(|p| p.into_inner());
    let _ = processor.process(&input);
});
