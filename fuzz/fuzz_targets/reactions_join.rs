//! Both reactions stages on any message: the first byte picks the topic
//! (an article event for the router, whose mentions go on to the join; a
//! price change; a mention as the internal topic would carry it), the rest
//! is the value, keyed by its first word. Records or a dead letter, never a
//! panic; the join's tape carries over from input to input, as in the service.
#![no_main]

use std::sync::{Mutex, OnceLock};

use tickertape_market::sessions::TradingCalendar;
use tickertape_processor::{Input, Outcome, Processor};
use tickertape_reactions::config::ReactionsSettings;
use tickertape_reactions::mention::MentionRouter;
use tickertape_reactions::metrics::ReactionMetrics;
use tickertape_reactions::processor::ReactionJoin;

fn stages() -> &'static Mutex<(MentionRouter, ReactionJoin)> {
    static STAGES: OnceLock<Mutex<(MentionRouter, ReactionJoin)>> = OnceLock::new();
    STAGES.get_or_init(|| {
        let settings = ReactionsSettings::default();
        let metrics = ReactionMetrics::unregistered();
        Mutex::new((
            MentionRouter::new(&settings, metrics.clone()),
            ReactionJoin::new(&settings, TradingCalendar::builtin(), metrics),
        ))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, value)) = data.split_first() else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_731_423_600, 0).expect("a valid time");
    let key = value
        .split(|b| b.is_ascii_whitespace())
        .next()
        .unwrap_or_default();
    let mut stages = stages().lock().unwrap_or_else(|p| p.into_inner());
    let (router, join) = &mut *stages;
    let topic = ["articles.enriched", "prices.changes", "reactions.mentions"][usize::from(selector % 3)];
    let input = Input {
        key: Some(key),
        partition: i32::from(selector % 4),
        ..Input::unkeyed(topic, value, now)
    };
    if topic != "articles.enriched" {
        let _ = join.process(&input);
        return;
    }
    if let Outcome::Publish(mentions) = router.process(&input) {
        for mention in &mentions {
            let _ = join.process(&Input {
                key: mention.key.as_deref(),
                partition: input.partition,
                ..Input::unkeyed("reactions.mentions", &mention.value, now)
            });
        }
    }
    let _ = join.take_state_changes();
});
