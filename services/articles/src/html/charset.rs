//! An HTML page's bytes to text: the charset the transport declares, else
//! the one the page declares, else the one its bytes show. Bytes that are
//! not valid in that charset are refused, never replaced: a page of
//! replacement characters would be published as an article of mojibake.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};
use tickertape_processor::Rejection;

/// How far into a page a `<meta charset>` is looked for (the HTML
/// standard's prescan looks at the first 1,024 bytes).
const META_PRESCAN_BYTES: usize = 1024;

/// Decodes `bytes` as the charset `declared` (a `content-type` header's
/// `charset` parameter), the page's byte-order mark or `<meta>` charset,
/// or what detection finds.
///
/// Fails with reason `bad_encoding` for bytes invalid in the charset chosen.
pub fn decode_html<'a>(bytes: &'a [u8], declared: Option<&str>) -> Result<Cow<'a, str>, Rejection> {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        // A byte-order mark wins over every declaration, as in browsers.
        Some((encoding, bom)) => (encoding, &bytes[bom..]),
        None => (charset_of(bytes, declared), bytes),
    };
    if encoding == UTF_8 {
        return std::str::from_utf8(body)
            .map(Cow::Borrowed)
            .map_err(|error| {
                Rejection::new(
                    "bad_encoding",
                    format!("the page is not valid UTF-8: {error}"),
                )
            });
    }
    encoding
        .decode_without_bom_handling_and_without_replacement(body)
        .ok_or_else(|| {
            Rejection::new(
                "bad_encoding",
                format!("the page has bytes that are not valid {}", encoding.name()),
            )
        })
}

fn charset_of(bytes: &[u8], declared: Option<&str>) -> &'static Encoding {
    // A label no standard names is ignored, as browsers ignore it.
    let named = |label: &str| Encoding::for_label(label.trim().as_bytes());
    if let Some(encoding) = declared
        .and_then(named)
        .or_else(|| meta_charset(bytes).and_then(named))
    {
        // Pages that say UTF-16 in a <meta> are in fact ASCII-compatible
        // (the standard's rule); the output encoding says what to use.
        return encoding.output_encoding();
    }
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// The label of `<meta charset="…">` or `<meta http-equiv="content-type"
/// content="text/html; charset=…">` in the page's first bytes.
fn meta_charset(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(META_PRESCAN_BYTES)];
    let at = head
        .windows(8)
        .position(|window| window.eq_ignore_ascii_case(b"charset="))?;
    // The label may run past the prescan's end.
    let rest = &bytes[at + 8..bytes.len().min(at + 8 + 64)];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b';' | b'>' | b'/') || b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    std::str::from_utf8(&rest[..end])
        .ok()
        .filter(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8], declared: Option<&str>) -> Result<String, &'static str> {
        decode_html(bytes, declared)
            .map(Cow::into_owned)
            .map_err(|rejection| rejection.reason)
    }

    #[test]
    fn the_transport_then_the_page_then_the_bytes_say_the_charset() {
        let latin1 = b"<html><head><meta charset=\"iso-8859-1\"></head><p>Caf\xe9</p>";
        assert!(text(latin1, None).unwrap().contains("Café"));
        let declared = b"<html><p>Caf\xe9 cr\xe8me</p>";
        assert!(text(declared, Some("windows-1252"))
            .unwrap()
            .contains("Café crème"));
        let http_equiv =
            b"<meta http-equiv='Content-Type' content='text/html; charset=windows-1251'><p>\xcc\xee\xf1\xea\xe2\xe0</p>";
        assert!(text(http_equiv, None).unwrap().contains("Москва"));
        let bom = b"\xef\xbb\xbf<html><p>Gr\xc3\xbc\xc3\x9fe</p>";
        assert!(
            text(bom, Some("iso-8859-1")).unwrap().contains("Grüße"),
            "a BOM wins"
        );
        assert_eq!(
            text("<p>Grüße</p>".as_bytes(), None).unwrap(),
            "<p>Grüße</p>"
        );
        // No declaration, not UTF-8: detection (German Latin-1 here).
        let undeclared = b"<p>Die Stra\xdfe nach M\xfcnchen ist f\xfcr alle gesperrt, sagte der B\xfcrgermeister.</p>";
        assert!(text(undeclared, None).unwrap().contains("München"));
    }

    #[test]
    fn bytes_invalid_in_the_charset_are_refused_not_replaced() {
        let declared_utf8 = b"<meta charset=utf-8><p>Caf\xe9</p>";
        assert_eq!(text(declared_utf8, None), Err("bad_encoding"));
        assert_eq!(text(b"<p>Caf\xe9</p>", Some("utf-8")), Err("bad_encoding"));
        assert_eq!(
            text(b"<p>x</p>", Some("klingon-8")).as_deref(),
            Ok("<p>x</p>"),
            "an unknown label is ignored"
        );
        let label_across_the_prescan_end =
            format!("{}<meta charset=utf-8><p>Caf\u{e9}", " ".repeat(1010));
        assert!(text(label_across_the_prescan_end.as_bytes(), None)
            .unwrap()
            .contains("Café"));
        // Shift_JIS lead byte without its trail byte.
        assert_eq!(text(b"<p>\x82</p>", Some("shift_jis")), Err("bad_encoding"));
    }
}
