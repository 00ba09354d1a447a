//! The demo's sample inputs, compiled in so the demo runs from anywhere.
//! They are the test fixtures under `tests/fixtures/`.

/// A page as the crawler would send it: raw text with url and fetch time in headers.
pub struct SamplePage {
    pub url: &'static str,
    pub fetched_at: &'static str,
    pub text: &'static str,
}

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/",
            $path
        ))
    };
}

/// Pages, in the order the demo sends them: a story, a syndicated copy of it
/// on another site, an update, unrelated stories on the same topic, another
/// language, a page without strip or photo, and a page full of variants.
pub const PAGES: &[SamplePage] = &[
    SamplePage {
        url: "https://berliner-tageblatt.example/en/World/4301-north-korea-ratifies-defence-treaty-with-russia.html",
        fetched_at: "2024-11-12T09:30:00Z",
        text: fixture!("articles/seed-article.txt"),
    },
    SamplePage {
        url: "https://athens-news.example/en/World/4302-north-korea-ratifies-defence-treaty-with-russia.html",
        fetched_at: "2024-11-12T09:31:10Z",
        text: fixture!("articles/athens-news-syndicated-copy.txt"),
    },
    SamplePage {
        url: "https://berliner-tageblatt.example/en/World/4301-north-korea-ratifies-defence-treaty-with-russia.html",
        fetched_at: "2024-11-12T12:05:00Z",
        text: fixture!("articles/btb-update-same-story.txt"),
    },
    SamplePage {
        url: "https://berliner-tageblatt.example/en/World/4307-south-korea-summons-russian-envoy.html",
        fetched_at: "2024-11-12T10:15:00Z",
        text: fixture!("articles/btb-unrelated-same-topic.txt"),
    },
    SamplePage {
        url: "https://athens-news.example/en/World/4309-ukraine-says-it-has-clashed-with-north-korean-troops.html",
        fetched_at: "2024-11-12T10:40:00Z",
        text: fixture!("articles/athens-news-unrelated-same-day.txt"),
    },
    SamplePage {
        url: "https://berliner-tageblatt.example/de/Welt/4301-nordkorea-ratifiziert-verteidigungspakt.html",
        fetched_at: "2024-11-12T09:45:00Z",
        text: fixture!("articles/de-nordkorea-vertrag.txt"),
    },
    SamplePage {
        url: "https://athens-news.example/en/Business/4318-vodafone-and-astrazeneca-lead-london-higher.html",
        fetched_at: "2024-11-12T10:02:55Z",
        text: fixture!("articles/markets-no-strip-no-photo.txt"),
    },
    SamplePage {
        url: "https://gulf-courier.example/en/Business/4320-greek-shipowners-bet-on-lng-tankers.html",
        fetched_at: "2024-11-12T11:20:00Z",
        text: fixture!("articles/variants-crlf-nbsp-curly.txt"),
    },
];

/// JSON envelopes, one per line.
pub const ENVELOPES: &str = fixture!("articles/envelopes.jsonl");

/// Market-feed ticks, one per line, some deliberately bad.
pub const TICKS: &str = fixture!("ticks/feed.jsonl");
