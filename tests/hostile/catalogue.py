"""The hostile-input catalogue: inputs written to break a news pipeline,
each with what tickertape must do with it.

A case is one message for `articles.raw` or `ticks.raw`: its value, key and
headers as bytes, and the expected outcome:
- `reason`: it is dead-lettered with this reason (original bytes, key and
  headers kept), or
- `published`: it is published, and `check(event)` holds for its article
  event or price change (hostile content that is still a story or a tick).

`offline` is False for cases `tickertape process` cannot express (a key, a
header, an empty line in a ticks file, an output only a broker refuses).
`broker_refuses` marks an input whose output the test's broker refuses
(the internal topic's `max.message.bytes` is lowered): a dead letter
through Kafka (`output_rejected`), published offline.

Most inputs come from the reports in issue 18 (the poison pill, clocks,
contradictory ticks, not-pages); the rest from the usual suspects of
crawled input: encodings, markup, nesting, sizes and control characters.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

PAGES, TICKS = "articles.raw", "ticks.raw"


@dataclass
class Case:
    name: str
    topic: str
    value: bytes
    reason: Optional[str] = None
    check: Optional[Callable[[dict], bool]] = None
    key: Optional[bytes] = None
    headers: list = field(default_factory=list)
    offline: bool = True
    broker_refuses: bool = False


def rfc3339(time):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ")


def page(title, paragraphs, site="Berliner Tageblatt", code="BTB", strip=()):
    lines = [f"{site} - {title}", ""]
    if strip:
        lines += ["NYSE - LSE", *strip, ""]
    lines += [title, "", paragraphs[0], "", "Text size:", ""]
    for paragraph in paragraphs[1:]:
        lines += [paragraph, ""]
    lines.append(f"K.Thomson--{code}")
    return "\n".join(lines) + "\n"


def story(n):
    """A distinct, ordinary story: what follows every hostile input."""
    return page(f"Harbour authority approves expansion plan number {n}",
                [f"The harbour authority approved expansion plan number {n} on Tuesday after a long debate.",
                 f"Officials said the plan {n} would add two berths and create jobs in the region by next year.",
                 f"Shipping companies welcomed the decision, which ends months of uncertainty for plan {n}."])


def html_story(n, inside="", paragraphs=None, title=None, charset="utf-8", doctype=True):
    """A story of its own as an HTML page, its title starting with `n`
    capitalised; `inside` is markup put before the article. The words are
    drawn at random (seeded by `n`) so that no two such stories, and no
    ordinary story, read as updates of each other."""
    rng = random.Random(f"html-{n}")
    title = title or f"{n.capitalize()} " + prose(rng, 50).rstrip(".").lower()
    paragraphs = paragraphs or [prose(rng, 160) for _ in range(3)]
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    # Without a doctype, a comment first: only a content-type header says HTML.
    return (("<!DOCTYPE html>" if doctype else "<!-- no doctype -->") + f'<html lang="en"><head>{meta}<title>{title} - Berliner Tageblatt'
            f'</title><meta property="og:site_name" content="Berliner Tageblatt"></head><body>{inside}'
            f"<article><h1>{title}</h1>{body}</article></body></html>")


def envelope(body, fetched_at, url="https://btb.example/en/World/hostile.html", **extra):
    return json.dumps({"url": url, "fetched_at": fetched_at, "body": body, **extra}).encode()


def prose(rng, chars):
    """Words in random order: text that compresses about as badly as real text."""
    words = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rng.choice(VOCABULARY))
    return " ".join(words).capitalize() + "."


VOCABULARY = ("harbour authority approved expansion plan tuesday debate officials said would add berths jobs "
              "region shipping companies welcomed decision ends months uncertainty minister union talks "
              "resume week council bank holdings grand markets investors profit outlook earnings growth "
              "inflation rates central tanker gas europe demand supply orders record year month report").split()


def pages(now):
    rng = random.Random(18)
    fetched = rfc3339(now - timedelta(minutes=10))
    ordinary = story("zero").encode()
    paragraph = "The ministry said on Tuesday that talks with the union would resume next week."
    capitalised = " ".join(["Grand Ministry Union Bank Holdings Council"] * 4000)  # ~170 kB
    quotes = " ".join('"We will win," said Maria Lopez.' for _ in range(1000))
    countries = ("Officials from Germany, France, Japan, Kenya, Nigeria, Brazil, Canada, Spain, Italy, "
                 "Greece and Russia met. ") * 60
    long_symbol = "A" * 600_000
    cases = [
        # --- not a page at all
        Case("empty message", PAGES, b"", "empty"),
        Case("only whitespace", PAGES, b" \n\t\r\n  ", "empty"),
        Case("Latin-1 bytes, not UTF-8", PAGES, "Café - Tagesschau\n\nUmlaute: äöü".encode("latin-1"), "not_utf8"),
        Case("UTF-16 with its byte-order mark", PAGES, "\ufeffSite - Title\n\nBody.".encode("utf-16"), "not_utf8"),
        Case("random binary", PAGES, bytes(range(256)) * 8, "not_utf8"),
        Case("a PDF", PAGES, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not_utf8"),
        Case("a gzip stream", PAGES, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(64), "not_utf8"),
        Case("HTML with a doctype is read as HTML", PAGES, html_story("doctype").encode(),
             check=lambda e: e["source"]["content_type"] == "text/html" and e["title"].startswith("Doctype ")),
        Case("HTML after a BOM and blank lines, without a title", PAGES,
             "\ufeff\n\n  <html lang=\"en\"><body>x</body></html>".encode(), "no_title"),
        Case("NUL bytes inside a page", PAGES, story("nul").replace("approved", "appro\x00ved").encode(), "not_a_page"),
        Case("ANSI escape codes in a page", PAGES, story("ansi").replace("Tuesday", "\x1b[31mTuesday\x1b[0m").encode(),
             "not_a_page"),
        Case("a JSON array", PAGES, b'[{"url": "https://x.example", "body": "x"}]', "not_a_page"),
        # --- envelopes that lie
        Case("envelope cut short", PAGES, envelope(story("cut"), fetched)[:120], "invalid_envelope"),
        Case("envelope without a body", PAGES, json.dumps({"url": "https://x.example/a", "fetched_at": fetched}).encode(),
             "invalid_envelope"),
        Case("envelope with a number for a url", PAGES,
             json.dumps({"url": 42, "fetched_at": fetched, "body": story("url")}).encode(), "invalid_envelope"),
        Case("envelope with a fetch time that is not RFC 3339", PAGES,
             envelope(story("time"), "12/11/2024 09:30"), "invalid_envelope"),
        Case("envelope nested 10,000 deep", PAGES, b'{"url":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
             "invalid_envelope"),
        Case("envelope whose body is JSON", PAGES, envelope(json.dumps({"body": story("json")}), fetched), "not_a_page"),
        Case("envelope whose body is HTML without a title", PAGES, envelope("<!doctype html><p>x</p>", fetched),
             "no_title"),
        Case("envelope with an html field", PAGES,
             json.dumps({"url": "https://btb.example/a", "fetched_at": fetched, "html": html_story("field")}).encode(),
             check=lambda e: e["source"]["content_type"] == "text/html" and e["title"].startswith("Field ")),
        Case("envelope with both body and html", PAGES,
             json.dumps({"url": "u", "fetched_at": fetched, "body": story("both"), "html": html_story("both")}).encode(),
             "invalid_envelope"),
        # --- hostile HTML
        Case("HTML nested 10,000 deep", PAGES, html_story("deep", inside="<div>" * 10_000).encode(), "over_limit"),
        Case("HTML of 10,000 nested inline elements (an extractor's stack overflow)", PAGES,
             html_story("inline", inside="<span><b>" * 10_000).encode(), "over_limit"),
        Case("HTML of 30,000 elements", PAGES, html_story("wide", inside="<i>x</i>" * 30_000).encode(), "over_limit"),
        Case("HTML of 5 MB", PAGES, html_story("huge", inside="<p>" + "x" * 5_000_000 + "</p>").encode(), "too_large"),
        Case("HTML that is only scripts", PAGES,
             b"<!doctype html><html><head><script>document.write('<p>hi</p>')</script></head></html>", "no_title"),
        Case("HTML with a title and an empty body", PAGES,
             b"<!doctype html><html><head><title>Breaking - Site</title></head><body> </body></html>", "no_body"),
        Case("an HTML error page is published for what it is", PAGES,
             b"<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
             b"<p>The requested URL was not found on this server.</p></body></html>",
             check=lambda e: e["title"] == "Not Found" and e["paragraphs"] == [
                 "The requested URL was not found on this server."]),
        Case("an HTML paywall stub is published with what it has", PAGES,
             html_story("paywall", paragraphs=["Subscribe to continue reading this article."]).encode(),
             check=lambda e: e["paragraphs"] == ["Subscribe to continue reading this article."]),
        Case("HTML declared UTF-8 that is Latin-1", PAGES,
             html_story("latin1", title="Caf\u00e9 owners approve harbour plan one").encode("latin-1"), "bad_encoding"),
        Case("HTML in Latin-1 that says so is read, not garbled", PAGES,
             html_story("latin1ok", title="Caf\u00e9 owners approve harbour plan two", charset="iso-8859-1")
             .encode("latin-1"), check=lambda e: e["title"] == "Caf\u00e9 owners approve harbour plan two"),
        Case("HTML whose content-type header says Latin-1", PAGES,
             html_story("header", title="Caf\u00e9 owners approve harbour plan three", charset=None).encode("latin-1"),
             check=lambda e: e["title"] == "Caf\u00e9 owners approve harbour plan three",
             headers=[("content-type", b"text/html; charset=ISO-8859-1")], offline=False),
        Case("HTML without a doctype, known by its content-type header", PAGES,
             html_story("noheader", doctype=False).encode(), headers=[("content-type", b"text/html")], offline=False,
             check=lambda e: e["source"]["content_type"] == "text/html" and e["title"].startswith("Noheader ")),
        Case("envelope with an empty body", PAGES, envelope("", fetched), "no_title"),
        Case("envelope after a BOM is still an envelope", PAGES,
             b"\xef\xbb\xbf" + envelope(story("bom"), fetched), check=lambda e: e["title"].startswith("Harbour")),
        # --- clocks
        Case("fetched in the year 9999", PAGES, envelope(story("9999"), "9999-12-31T23:59:59Z"), "future_time"),
        Case("fetched an hour ahead", PAGES, envelope(story("ahead"), rfc3339(now + timedelta(hours=1))),
             "future_time"),
        Case("fetched in 1969", PAGES, envelope(story("1969"), "1969-12-31T23:59:59Z"), "too_early"),
        Case("fetched in year 0", PAGES, envelope(story("year0"), "0000-01-01T00:00:00Z"), "too_early"),
        Case("fetched_at header that is not a time", PAGES, story("header").encode(), "invalid_header",
             headers=[("fetched_at", b"yesterday")], offline=False),
        Case("fetched_at header in 9999", PAGES, story("header9999").encode(), "future_time",
             headers=[("fetched_at", b"9999-01-01T00:00:00Z")], offline=False),
        # --- pages without the parts a story needs
        Case("title only", PAGES, b"Site - Title only\n\nTitle only\n\nText size:\n\nK.Thomson--BTB\n", "no_body"),
        Case("chrome only", PAGES, b"Text size:\n", "no_body"),
        Case("a title and a strip, no body", PAGES,
             b"Site - Strip only\n\nNYSE - LSE\nBP 1.44% 28.57 $\nVOD -0.10% 0.71 $\n", "no_body"),
        # --- sizes and the poison pill
        Case("2 MB page (compressible, so the broker takes it)", PAGES, (story("big") * 6000).encode()[:2_100_000],
             "too_large"),
        Case("a 170 kB title of capitalised words", PAGES, page(capitalised, [paragraph]).encode(), "over_limit"),
        Case("6,000 paragraphs", PAGES, page("Many paragraphs", [f"{paragraph} {i}" for i in range(6000)]).encode(),
             "over_limit"),
        Case("a 150,000-character paragraph", PAGES, page("One long paragraph", [paragraph * 1900]).encode(),
             "over_limit"),
        Case("45,000 strip lines", PAGES,
             page("A long strip", [paragraph], strip=[f"X{i % 1000:03d} 1.00% 10.00 $" for i in range(45_000)]).encode(),
             "over_limit"),
        Case("a 600 kB strip symbol (dropped as a malformed strip line)", PAGES,
             page("Long symbol", [paragraph], strip=[f"{long_symbol} 1.00% 10.00 $"]).encode(),
             check=lambda e: e["market_snapshot"] == [] and e["title"] == "Long symbol"),
        Case("a page whose output the broker refuses", PAGES,
             page("A page the broker refuses to carry", [prose(rng, 90_000) for _ in range(5)]).encode(),
             check=lambda e: e["word_count"] > 50_000, broker_refuses=True),
        # --- hostile content inside a real story: published within limits
        Case("1,000 quotes", PAGES, page("A thousand quotes", [paragraph, quotes]).encode(),
             check=lambda e: 0 < len(e["quotes"]) <= 200),
        Case("the same countries 60 times", PAGES, page("Summit of many nations", [paragraph, countries]).encode(),
             check=lambda e: 0 < len(e["entities"]["countries"]) <= 200
             and len(set(e["entities"]["countries"])) == len(e["entities"]["countries"])),
        Case("right-to-left override and zero-width characters", PAGES,
             story("rtl").replace("harbour", "har\u200bbour\u202e").encode(), check=lambda e: "rtl" in e["title"]),
        Case("a binary key and binary headers", PAGES, story("binary-key").encode(),
             check=lambda e: "binary-key" in e["title"], key=b"\xff\xfe\x00key", headers=[("trace", b"\x00\xff")],
             offline=False),
    ]
    return cases, ordinary


def tick(symbol, price, ts, **extra):
    return json.dumps({"symbol": symbol, "price": price, "ts": ts, **extra}).encode()


def ticks(now):
    ts = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ms = int(now.timestamp() * 1000)
    cases = [
        Case("empty tick", TICKS, b"", "empty", offline=False),
        Case("not UTF-8", TICKS, b"\xff\xfe\xfd", "not_utf8"),
        Case("not JSON nor a strip line", TICKS, b"hello world", "invalid_strip_line"),
        Case("JSON array", TICKS, b'["BP", "28.57"]', "invalid_field"),
        Case("JSON cut short", TICKS, b'{"symbol": "BP", "price": "28.5', "invalid_json"),
        Case("JSON nested 10,000 deep", TICKS, b'{"symbol":' + b"[" * 10_000 + b"]" * 10_000 + b"}", "invalid_field"),
        Case("no price", TICKS, json.dumps({"symbol": "BP", "ts": ts}).encode(), "invalid_field"),
        Case("price NaN", TICKS, tick("BP", "NaN", ts), "invalid_price"),
        Case("price 1e400", TICKS, b'{"symbol":"BP","price":1e400,"ts":"' + ts.encode() + b'"}', "invalid_price"),
        Case("negative price", TICKS, tick("BP", "-28.57", ts), "invalid_price"),
        Case("zero price", TICKS, tick("BP", "0", ts), "invalid_price"),
        Case("price with 40 digits", TICKS, tick("BP", "9" * 40, ts), "invalid_price"),
        Case("price with 12 decimals", TICKS, tick("BP", "28.123456789012", ts), "invalid_price"),
        Case("60 kB symbol", TICKS, tick("A" * 60_000, "1.00", ts), "invalid_symbol"),
        Case("symbol with markup", TICKS, tick("<b>BP</b>", "1.00", ts), "invalid_symbol"),
        Case("currency that is not ISO 4217", TICKS, tick("BP", "28.57", ts, currency="<script>x</script>"),
             "invalid_currency"),
        Case("day change of -100%", TICKS, tick("BP", "28.57", ts, change_pct="-100"), "invalid_change"),
        Case("day change of +1e9%", TICKS, tick("BP", "28.57", ts, change_pct="1000000000"), "implausible_change"),
        Case("time in the year 9999", TICKS, tick("BP", "28.57", "9999-12-31T23:59:59Z"), "future_time"),
        Case("time in 1969", TICKS, tick("BP", "28.57", "1969-07-20T20:17:00Z"), "too_early"),
        Case("time in year -251540", TICKS, tick("BP", "28.57", -7_999_999_999_999_999), "too_early"),
        Case("epoch seconds where milliseconds belong", TICKS, tick("BP", "28.57", ms // 1000), "too_early"),
        Case("time that is not a time", TICKS, tick("BP", "28.57", "tomorrow"), "invalid_time"),
        Case("keyed by another symbol", TICKS, tick("BP", "28.57", ts), "key_mismatch", key=b"VOD", offline=False),
        Case("2 MB tick", TICKS, b'{"symbol":"BP","price":"1.00","ts":"' + ts.encode() + b'","pad":"'
             + b"x" * 2_000_000 + b'"}', "too_large"),
    ]
    return cases


def good_tick(n, now):
    """An ordinary tick: what follows every hostile one (a new price each time)."""
    ts = (now + timedelta(milliseconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return tick("GOOD", f"{100 + n}.00", ts, currency="USD", change_pct="0.50")


def catalogue(now=None):
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    page_cases, _ = pages(now)
    return page_cases + ticks(now)
