use super::*;
use crate::page::parse_page;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/articles/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(html: &str) -> Result<HtmlPage, PageError> {
    read_html(html, &HtmlLimits::default()).map(|(page, _)| page)
}

#[test]
fn the_html_page_of_a_story_reads_as_its_text_scrape() {
    for name in [
        "seed-article",
        "de-nordkorea-vertrag",
        "athens-news-syndicated-copy",
    ] {
        let text = parse_page(&fixture(&format!("{name}.txt"))).unwrap();
        let html = read(&fixture(&format!("{name}.html"))).unwrap().page;
        assert_eq!(html.site_name, text.site_name, "{name}");
        assert_eq!(html.title, text.title, "{name}");
        assert_eq!(html.paragraphs, text.paragraphs, "{name}");
        assert_eq!(html.subheadings, text.subheadings, "{name}");
        assert_eq!(
            html.subheading_positions, text.subheading_positions,
            "{name}"
        );
        assert_eq!(html.signature, text.signature, "{name}");
        assert_eq!(html.strip, text.strip, "{name}");
        assert_eq!(html.photo, text.photo, "{name}");
    }
}

#[test]
fn the_markup_gives_what_a_scrape_cannot() {
    let read = read(&fixture("seed-article.html")).unwrap();
    let metadata = &read.metadata;
    assert_eq!(metadata.language.as_deref(), Some("en"));
    assert_eq!(
        metadata.canonical_url.as_deref(),
        Some("https://berliner-tageblatt.example/en/World/4301-north-korea-ratifies-defence-treaty-with-russia.html")
    );
    assert_eq!(
        metadata.published_at,
        Some("2024-11-12T07:55:00Z".parse().unwrap()),
        "to UTC"
    );
    assert_eq!(metadata.authors, ["K.Thomson"]);
    let image = metadata.image.as_ref().unwrap();
    assert_eq!(
        image.url,
        "https://berliner-tageblatt.example/media/4301-lead.jpg"
    );
    assert_eq!(image.credit.as_deref(), Some("POOL/AFP"));
}

#[test]
fn metadata_comes_from_json_ld_and_tags_when_open_graph_is_missing() {
    let page = r#"<!doctype html><html lang="fr-FR"><head>
        <title>Le pacte est ratifié | Le Courrier du Golfe</title>
        <meta name="author" content="Claire Dubois">
        <script type="application/ld+json">{"@graph": [
            {"@type": "WebPage", "name": "page"},
            {"@type": "NewsArticle", "headline": "Le pacte est ratifié",
             "datePublished": "2024-11-12T09:30:00+0100", "dateModified": "2024-11-12",
             "author": [{"name": "Claire Dubois"}, {"name": "Marc Petit"}],
             "image": {"url": "https://x.example/a.jpg"}}]}</script>
        <script type="application/ld+json">{not json</script>
        </head><body><article><h1>Le pacte est ratifié</h1>
        <figure><img src="https://x.example/a.jpg"><figcaption>Kim Jong Un à Pyongyang © KCNA via AFP</figcaption></figure>
        <p>La Corée du Nord a ratifié un pacte de défense avec la Russie, ont rapporté mardi les médias d'État, approfondissant une coopération qui a vu Pyongyang envoyer des milliers de soldats.</p>
        <p>L'accord formalise des mois de rapprochement militaire entre les deux pays, alliés communistes pendant la guerre froide, selon les analystes.</p>
        </article></body></html>"#;
    let read = read(page).unwrap();
    let metadata = &read.metadata;
    assert_eq!(metadata.title.as_deref(), Some("Le pacte est ratifié"));
    assert_eq!(
        metadata.site_name.as_deref(),
        Some("Le Courrier du Golfe"),
        "from <title>"
    );
    assert_eq!(metadata.authors, ["Claire Dubois", "Marc Petit"]);
    assert_eq!(metadata.language.as_deref(), Some("fr"));
    assert_eq!(
        metadata.published_at,
        Some("2024-11-12T08:30:00Z".parse().unwrap())
    );
    assert_eq!(
        metadata.modified_at,
        Some("2024-11-12T00:00:00Z".parse().unwrap())
    );
    let image = metadata.image.as_ref().unwrap();
    assert_eq!(image.caption.as_deref(), Some("Kim Jong Un à Pyongyang"));
    assert_eq!(image.credit.as_deref(), Some("KCNA via AFP"));
    assert_eq!(read.page.paragraphs.len(), 2, "{:?}", read.page.paragraphs);
    assert!(read.page.paragraphs[0].starts_with("La Corée du Nord"));
}

#[test]
fn hostile_pages_are_refused_with_a_reason_or_read_for_what_is_there() {
    let reason = |html: &str| read(html).map(|_| ()).map_err(|e| e.reason());
    let deep = format!("<html><body>{}text", "<div>".repeat(10_000));
    assert_eq!(reason(&deep), Err("over_limit"));
    let deep_inline = format!("<html><body>{}text", "<span><b>".repeat(10_000));
    assert_eq!(reason(&deep_inline), Err("over_limit"));
    let wide = format!("<html><body>{}", "<p>x</p>".repeat(30_000));
    assert_eq!(reason(&wide), Err("over_limit"));
    assert_eq!(
        reason("<html><head><script>var a = 1;</script></head></html>"),
        Err("no_title")
    );
    let title_only = read("<html><head><title>Only a title</title></head><body></body></html>");
    assert_eq!(
        title_only.as_ref().map(|r| &r.page.paragraphs),
        Err(&PageError::NoBody)
    );
    assert_eq!(reason(""), Err("no_title"));
    // A paywall stub is published with what it has.
    let stub = read(
        "<html><head><title>Markets rally - The Ledger</title></head><body><h1>Markets rally</h1>\
         <p>Subscribe to continue reading.</p></body></html>",
    )
    .unwrap();
    assert_eq!(stub.page.title, "Markets rally");
    assert_eq!(stub.page.paragraphs, ["Subscribe to continue reading."]);
}
