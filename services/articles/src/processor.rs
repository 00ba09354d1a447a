//! The two stages of the articles service, and both in one for offline runs.
//!
//! - [`ParseStage`] (`articles.raw`, any number of partitions and instances):
//!   decode, parse, enrich, fingerprint; publishes the strip as ticks and the
//!   article to the internal one-partition topic.
//! - [`DedupeStage`] (`articles.parsed`, one partition, so one active
//!   instance sees every article whatever partition it arrived on): decides
//!   new / update / duplicate and publishes the article event or the
//!   duplicate record.
//! - [`ArticlePipeline`]: both stages chained in-process, for
//!   `tickertape process articles`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tickertape_market::strip::{StripTick, StripTickSource};
use tickertape_market::tick::SourceKind;
use tickertape_processor::settings::TimeBounds;
use tickertape_processor::{
    json_record, Input, Outcome, Processor, Record, Rejection, RestoreError, StateChange,
};
use xxhash_rust::xxh3::xxh3_64;

use crate::config::{ArticlesSettings, OutputLimits};
#[cfg(test)]
use crate::dedupe::STORY_FORMAT;
use crate::dedupe::{ArticleId, DedupeRules, IndexRestore, StoryIndex, Verdict};
use crate::enrich::{Enricher, PageWords};
use crate::event::{
    Article, ArticleEvent, Dedupe, DuplicateRecord, ParsedArticle, SnapshotQuote, Source,
    ARTICLE_SCHEMA, DUPLICATE_SCHEMA,
};
use crate::fingerprint::{Fingerprint, BINS};
use crate::html::{read_html, HtmlLimits, HtmlMetadata};
use crate::input::{decode, PageFormat};
use crate::metrics::ArticleMetrics;
use crate::page::{parse_page, PageLimits};

/// Raw page → parsed, enriched, fingerprinted article (+ strip ticks).
pub struct ParseStage {
    parsed_topic: String,
    ticks_topic: String,
    max_message_bytes: usize,
    page_limits: PageLimits,
    html_limits: HtmlLimits,
    output_limits: OutputLimits,
    time_bounds: TimeBounds,
    enricher: Arc<Enricher>,
    metrics: ArticleMetrics,
}

impl ParseStage {
    /// A parse stage with the given settings and gazetteers.
    pub fn new(
        settings: &ArticlesSettings,
        enricher: Arc<Enricher>,
        metrics: ArticleMetrics,
    ) -> Self {
        ParseStage {
            parsed_topic: settings.topics.parsed.clone(),
            ticks_topic: settings.topics.strip_ticks.clone(),
            max_message_bytes: settings.max_message_bytes,
            page_limits: settings.page_limits,
            html_limits: settings.html_limits,
            output_limits: settings.output_limits,
            time_bounds: settings.time_bounds,
            enricher,
            metrics,
        }
    }

    /// Parses, enriches and fingerprints one message.
    ///
    /// Fails with the rejection for the dead-letter topic.
    pub fn article_of(&self, input: &Input<'_>) -> Result<ParsedArticle, Rejection> {
        let raw = decode(input, self.max_message_bytes)?;
        self.time_bounds
            .check("fetch time", raw.fetched_at, input.received_at)?;
        let (page, metadata) = match raw.format {
            PageFormat::Text => parse_page(&raw.body).map(|page| (page, HtmlMetadata::default())),
            PageFormat::Html => read_html(&raw.body, &self.html_limits).map(|(read, extractor)| {
                self.metrics.html_pages(extractor).inc();
                (read.page, read.metadata)
            }),
        }
        .and_then(|(page, metadata)| self.page_limits.check(&page).map(|()| (page, metadata)))
        .map_err(|e| Rejection::new(e.reason(), e.to_string()))?;
        self.metrics
            .strip_lines_malformed
            .inc_by(page.malformed_strip_lines.len() as u64);
        let words = PageWords::of(&page);
        let mut enrichment = self.enricher.enrich(
            &page,
            &words,
            metadata.language.as_deref(),
            raw.fetched_at.date_naive(),
        );
        self.output_limits.apply(&mut enrichment);
        let print = Fingerprint::of(&words.hashes.body);
        let (authors, code) = match page.signature {
            Some(signature) => (signature.authors, Some(signature.code)),
            None => (metadata.authors, None),
        };
        let article = Article {
            id: format!("{:016x}", xxh3_64(input.payload)),
            source: Source {
                name: page.site_name.or(raw.site),
                code,
                url: raw.url,
                canonical_url: metadata.canonical_url,
                content_type: raw.format.content_type().to_owned(),
            },
            title: page.title,
            authors,
            photo: page.photo,
            paragraphs: page.paragraphs,
            subheadings: page.subheadings,
            subheading_positions: page.subheading_positions,
            language: enrichment.language,
            word_count: enrichment.word_count,
            reading_time_s: enrichment.reading_time_s,
            entities: enrichment.entities,
            quotes: enrichment.quotes,
            instruments: enrichment.instruments,
            market_snapshot: page
                .strip
                .into_iter()
                .map(|quote| SnapshotQuote {
                    symbol: quote.symbol,
                    change_pct: quote.change_pct,
                    price: quote.price,
                    currency: quote.currency.to_owned(),
                })
                .collect(),
            topics: enrichment.topics,
            fingerprint: print.hex(),
            image: metadata.image,
            published_at: metadata.published_at,
            modified_at: metadata.modified_at,
            fetched_at: raw.fetched_at,
            processed_at: input.received_at,
        };
        Ok(ParsedArticle {
            article,
            body_hash: print.body_hash,
            minhash: print.minhash,
        })
    }

    fn records_for(&self, parsed: &ParsedArticle) -> Result<Vec<Record>, Rejection> {
        let article = &parsed.article;
        let mut records = Vec::with_capacity(article.market_snapshot.len() + 1);
        for quote in &article.market_snapshot {
            let tick = StripTick {
                symbol: &quote.symbol,
                price: quote.price,
                change_pct: quote.change_pct,
                currency: &quote.currency,
                ts: article.fetched_at,
                source: StripTickSource {
                    kind: SourceKind::Page,
                    name: article.source.name.as_deref(),
                    url: article.source.url.as_deref(),
                },
            };
            records.push(json_record(&self.ticks_topic, &quote.symbol, &tick)?);
        }
        self.metrics
            .strip_lines_published
            .inc_by(article.market_snapshot.len() as u64);
        records.push(json_record(&self.parsed_topic, &article.id, parsed)?);
        Ok(records)
    }
}

/// Every reason a raw page is dead-lettered for.
pub const PARSE_REJECTION_REASONS: &[&str] = &[
    "empty",
    "too_large",
    "not_utf8",
    "invalid_envelope",
    "invalid_header",
    "not_a_page",
    "no_title",
    "no_body",
    "over_limit",
    "future_time",
    "too_early",
    "serialization",
];

/// Every reason the dedupe stage dead-letters an internal record for.
pub const DEDUPE_REJECTION_REASONS: &[&str] = &["invalid_internal_record", "serialization"];

impl Processor for ParseStage {
    fn rejection_reasons(&self) -> Vec<&'static str> {
        PARSE_REJECTION_REASONS.to_vec()
    }

    fn batch_closed(&mut self, committed: bool) {
        self.metrics.batch_closed(committed);
    }

    fn process(&mut self, input: &Input<'_>) -> Outcome {
        match self
            .article_of(input)
            .and_then(|parsed| self.records_for(&parsed))
        {
            Ok(records) => Outcome::Publish(records),
            Err(rejection) => Outcome::Reject(rejection),
        }
    }
}

/// Parsed article → article event, or duplicate record.
pub struct DedupeStage {
    enriched_topic: String,
    duplicates_topic: String,
    rules: DedupeRules,
    index: StoryIndex,
    /// The index being rebuilt from the changelog, during a restore.
    restoring: Option<IndexRestore>,
    metrics: ArticleMetrics,
}

impl DedupeStage {
    /// A dedupe stage with an empty story index.
    pub fn new(settings: &ArticlesSettings, metrics: ArticleMetrics) -> Self {
        DedupeStage {
            enriched_topic: settings.topics.enriched.clone(),
            duplicates_topic: settings.topics.duplicates.clone(),
            rules: settings.dedupe.clone(),
            index: StoryIndex::default(),
            restoring: None,
            metrics,
        }
    }

    /// Decides what a parsed article is, at `now` on the processing clock
    /// (which the story window runs on), and returns the record to publish.
    ///
    /// Fails only when the record cannot be serialized.
    pub fn decide(
        &mut self,
        parsed: ParsedArticle,
        now: DateTime<Utc>,
    ) -> Result<Record, Rejection> {
        let print = Fingerprint {
            body_hash: parsed.body_hash,
            minhash: parsed.minhash,
        };
        let article = parsed.article;
        let (Some(article_id), Some(minhash)) = (ArticleId::parse(&article.id), print.bins())
        else {
            return Err(Rejection::new(
                "invalid_internal_record",
                format!(
                    "article id {:?} is not 16 hex digits or the MinHash has {} bins, not {BINS}",
                    article.id,
                    print.minhash.len()
                ),
            ));
        };
        let verdict = self
            .index
            .decide(article_id, print.body_hash, minhash, now, &self.rules);
        let (status, story_id, version, of, similarity) = match verdict {
            Verdict::Duplicate {
                story_id,
                version,
                of,
            } => {
                self.metrics.duplicates.inc();
                self.metrics.syndicated_copies.inc();
                let record = DuplicateRecord {
                    schema: DUPLICATE_SCHEMA.to_owned(),
                    story_id: story_id.clone(),
                    version,
                    id: article.id,
                    of,
                    source: article.source,
                    title: article.title,
                    fetched_at: article.fetched_at,
                    processed_at: article.processed_at,
                };
                return json_record(&self.duplicates_topic, story_id, &record)
                    .map(|r| r.at(record.fetched_at));
            }
            Verdict::New { story_id } => ("new", story_id, 1, None, None),
            Verdict::Update {
                story_id,
                version,
                of,
                similarity,
            } => ("update", story_id, version, Some(of), Some(similarity)),
        };
        if status == "update" {
            self.metrics.updates.inc();
            self.metrics.updated_stories.inc();
        } else {
            self.metrics.new_articles.inc();
        }
        let fetched_at = article.fetched_at;
        let event = ArticleEvent {
            schema: ARTICLE_SCHEMA.to_owned(),
            story_id: story_id.clone(),
            version,
            dedupe: Dedupe {
                status: status.to_owned(),
                of,
                similarity,
            },
            article,
        };
        json_record(&self.enriched_topic, story_id, &event).map(|r| r.at(fetched_at))
    }
}

impl Processor for DedupeStage {
    fn state_store(&self) -> Option<&'static str> {
        Some("stories")
    }

    fn batch_closed(&mut self, committed: bool) {
        self.metrics.batch_closed(committed);
    }

    fn rejection_reasons(&self) -> Vec<&'static str> {
        DEDUPE_REJECTION_REASONS.to_vec()
    }

    /// The dedupe stage has one input partition, so every story belongs to partition 0.
    fn take_state_changes(&mut self) -> Vec<StateChange> {
        self.index
            .take_changes()
            .into_iter()
            .map(|(story_id, story)| StateChange {
                partition: 0,
                key: story_id,
                value: story.and_then(|s| serde_json::to_vec(&s).ok()),
            })
            .collect()
    }

    fn restore(
        &mut self,
        partition: i32,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<(), RestoreError> {
        self.release(partition);
        for (key, value) in entries {
            self.restore_record(partition, &key, Some(&value))?;
        }
        self.restore_finished(partition)
    }

    /// Half a million stories are ~150 MiB held and ~220 MB as changelog
    /// entries: taken one by one, the two are never in memory together.
    fn restores_by_record(&self) -> bool {
        true
    }

    fn restore_record(
        &mut self,
        _partition: i32,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<(), RestoreError> {
        self.restoring
            .get_or_insert_with(IndexRestore::default)
            .record(key, value)
    }

    fn restore_finished(&mut self, _partition: i32) -> Result<(), RestoreError> {
        self.index = self.restoring.take().unwrap_or_default().finish();
        Ok(())
    }

    fn release(&mut self, _partition: i32) {
        self.index = StoryIndex::default();
        self.restoring = None;
    }

    fn state_entries(&self) -> usize {
        self.index.len()
    }

    fn process(&mut self, input: &Input<'_>) -> Outcome {
        let parsed: ParsedArticle = match serde_json::from_slice(input.payload) {
            Ok(parsed) => parsed,
            Err(error) => {
                return Outcome::Reject(Rejection::new(
                    "invalid_internal_record",
                    format!("not a parsed article from the parse stage: {error}"),
                ))
            }
        };
        match self.decide(parsed, input.received_at) {
            Ok(record) => Outcome::Publish(vec![record]),
            Err(rejection) => Outcome::Reject(rejection),
        }
    }
}

/// Both stages chained without Kafka: what the service publishes, in order,
/// leaving out the internal hand-over record.
pub struct ArticlePipeline {
    parse: ParseStage,
    dedupe: DedupeStage,
}

impl ArticlePipeline {
    /// Both stages with the given settings.
    pub fn new(
        settings: &ArticlesSettings,
        enricher: Arc<Enricher>,
        metrics: ArticleMetrics,
    ) -> Self {
        ArticlePipeline {
            parse: ParseStage::new(settings, enricher, metrics.clone()),
            dedupe: DedupeStage::new(settings, metrics),
        }
    }
}

impl Processor for ArticlePipeline {
    fn batch_closed(&mut self, committed: bool) {
        self.parse.batch_closed(committed);
        self.dedupe.batch_closed(committed);
    }

    fn process(&mut self, input: &Input<'_>) -> Outcome {
        let parsed = match self.parse.article_of(input) {
            Ok(parsed) => parsed,
            Err(rejection) => return Outcome::Reject(rejection),
        };
        let mut records = match self.parse.records_for(&parsed) {
            Ok(records) => records,
            Err(rejection) => return Outcome::Reject(rejection),
        };
        records.retain(|record| record.topic != self.parse.parsed_topic);
        match self.dedupe.decide(parsed, input.received_at) {
            Ok(record) => records.push(record),
            Err(rejection) => return Outcome::Reject(rejection),
        }
        Outcome::Publish(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    const SEED: &str = include_str!("../../../tests/fixtures/articles/seed-article.txt");
    const COPY: &str =
        include_str!("../../../tests/fixtures/articles/athens-news-syndicated-copy.txt");

    fn parsed(stage: &ParseStage, page: &str) -> Vec<u8> {
        let input = Input::unkeyed("articles.raw", page.as_bytes(), Utc::now());
        serde_json::to_vec(&stage.article_of(&input).unwrap()).unwrap()
    }

    fn parse_stage(settings: &ArticlesSettings) -> ParseStage {
        ParseStage::new(
            settings,
            Arc::new(Enricher::builtin()),
            ArticleMetrics::unregistered(),
        )
    }

    fn decide(stage: &mut DedupeStage, payload: &[u8]) -> Outcome {
        stage.process(&Input::unkeyed("articles.parsed", payload, Utc::now()))
    }

    #[test]
    fn the_story_index_survives_a_round_trip_through_the_changelog() {
        let settings = ArticlesSettings::default();
        let parse = parse_stage(&settings);
        let mut before = DedupeStage::new(&settings, ArticleMetrics::unregistered());
        decide(&mut before, &parsed(&parse, SEED));
        let changes = before.take_state_changes();
        assert_eq!(changes.len(), 1);

        let mut after = DedupeStage::new(&settings, ArticleMetrics::unregistered());
        after
            .restore(
                0,
                changes
                    .into_iter()
                    .map(|c| (c.key, c.value.unwrap()))
                    .collect(),
            )
            .unwrap();
        assert_eq!(after.state_entries(), 1);
        let Outcome::Publish(records) = decide(&mut after, &parsed(&parse, COPY)) else {
            panic!("the copy is published somewhere");
        };
        assert_eq!(
            records[0].topic, settings.topics.duplicates,
            "the restored index knows the story"
        );
        assert!(
            after.take_state_changes().is_empty(),
            "a duplicate changes no state"
        );
    }

    /// The seed page's story as the changelog held it before stories
    /// carried a format (captured from that build): still read, still
    /// matched, never dropped.
    const STORY_BEFORE_FORMATS: &str = r#"{"story_id":"416f56339b17781a","version":1,"latest_article_id":"416f56339b17781a","minhash":[258354041,879450883,688270878,38362228,252124449,594354452,82307065,1163514126,939765354,50237416,500865079,215331752,116665643,735116851,163424198,2343741150,568308114,199860913,324581210,534505801,100162957,620186314,223444095,139294391,883408085,276437603,1557072146,33134980,1068747933,167183722,46877035,292404359,751360897,794909128,182662385,316549417,558836155,836325472,394442604,651173834,1523923112,1194695484,16465129,160656718,1093212262,735025125,63248854,798746413,627326794,230249579,908065780,481918693,162376799,130690690,34607654,418304945,321068041,543305888,415803169,476390574,1277609850,976018384,660089104,624626431],"versions":[[4056824630837779952,1,"416f56339b17781a"]],"first_seen":"2024-11-12T09:30:00Z"}"#;

    #[test]
    fn a_story_written_before_formats_is_read_and_still_catches_its_copies() {
        let settings = ArticlesSettings::default();
        let parse = parse_stage(&settings);
        let mut stage = DedupeStage::new(&settings, ArticleMetrics::unregistered());
        stage
            .restore(
                0,
                vec![(
                    "416f56339b17781a".into(),
                    STORY_BEFORE_FORMATS.as_bytes().to_vec(),
                )],
            )
            .unwrap();
        assert_eq!(stage.state_entries(), 1);
        // The seed page again (the same bytes as when the entry was written)
        // and a syndicated copy of it, fetched within the story's window:
        // both are duplicates of that story.
        // The story's window runs on the processing clock: process them
        // within it.
        let then: DateTime<Utc> = "2024-11-12T10:00:00Z".parse().unwrap();
        for page in [SEED, COPY] {
            let input = Input {
                headers: vec![("fetched_at", b"2024-11-12T10:00:00Z")],
                ..Input::unkeyed("articles.raw", page.as_bytes(), then)
            };
            let parsed = serde_json::to_vec(&parse.article_of(&input).unwrap()).unwrap();
            let Outcome::Publish(records) =
                stage.process(&Input::unkeyed("articles.parsed", &parsed, then))
            else {
                panic!("published somewhere");
            };
            assert_eq!(records[0].topic, settings.topics.duplicates);
            let record: serde_json::Value = serde_json::from_slice(&records[0].value).unwrap();
            assert_eq!(record["story_id"], "416f56339b17781a");
        }
        // What this build writes carries its format.
        let mut fresh = DedupeStage::new(&settings, ArticleMetrics::unregistered());
        decide(&mut fresh, &parsed(&parse, SEED));
        let written: serde_json::Value =
            serde_json::from_slice(fresh.take_state_changes()[0].value.as_ref().unwrap()).unwrap();
        assert_eq!(written["format"], STORY_FORMAT);
    }

    #[test]
    fn a_page_from_the_future_or_the_far_past_is_a_dead_letter_not_news() {
        let settings = ArticlesSettings::default();
        let mut pipeline = ArticlePipeline::new(
            &settings,
            Arc::new(Enricher::builtin()),
            ArticleMetrics::unregistered(),
        );
        let now: DateTime<Utc> = "2024-11-12T15:00:00Z".parse().unwrap();
        for (fetched_at, reason) in [
            (&b"9999-01-01T00:00:00Z"[..], "future_time"),
            (b"2024-11-12T15:06:00Z", "future_time"),
            (b"1969-12-31T23:59:59Z", "too_early"),
        ] {
            let input = Input {
                headers: vec![("fetched_at", fetched_at)],
                ..Input::unkeyed("articles.raw", SEED.as_bytes(), now)
            };
            let Outcome::Reject(rejection) = pipeline.process(&input) else {
                panic!("{} published", String::from_utf8_lossy(fetched_at));
            };
            assert_eq!(rejection.reason, reason);
        }
        // The index was not touched: the seed page is still a new story.
        let input = Input {
            headers: vec![("fetched_at", &b"2024-11-12T09:30:00Z"[..])],
            ..Input::unkeyed("articles.raw", SEED.as_bytes(), now)
        };
        let Outcome::Publish(records) = pipeline.process(&input) else {
            panic!("the seed page is refused");
        };
        let event: serde_json::Value =
            serde_json::from_slice(&records.last().unwrap().value).unwrap();
        assert_eq!(event["dedupe"]["status"], "new");
    }

    #[test]
    fn a_story_in_a_newer_format_stops_the_restore_instead_of_being_dropped() {
        let newer =
            STORY_BEFORE_FORMATS.replacen('{', &format!("{{\"format\":{},", STORY_FORMAT + 1), 1);
        let mut stage =
            DedupeStage::new(&ArticlesSettings::default(), ArticleMetrics::unregistered());
        let error = stage
            .restore(0, vec![("416f56339b17781a".into(), newer.into_bytes())])
            .unwrap_err();
        assert!(
            matches!(error, RestoreError::UnknownFormat { found, .. } if found == STORY_FORMAT + 1),
            "{error}"
        );
        let error = stage
            .restore(0, vec![("x".into(), b"{}".to_vec())])
            .unwrap_err();
        assert!(matches!(error, RestoreError::Unreadable { .. }), "{error}");
    }
}
