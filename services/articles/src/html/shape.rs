//! A page's shape (elements and nesting depth) read from its tags before
//! any DOM is built.
//!
//! Tree builders and extractors are not linear in nesting: a page of
//! 10,000 nested `<div>`s takes html5ever half a second to parse, an
//! extractor 23 s to read, and 10,000 nested `<span><b>` overflow an
//! extractor's stack, which aborts the process. So the depth is measured
//! first, by a scan of the tags that cannot fail or recurse, and a page over
//! the limits is refused before it reaches them.

use memchr::memchr;

/// What the scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// Start tags.
    pub elements: usize,
    /// The deepest nesting of elements that must be closed.
    pub depth: usize,
}

/// Elements that have no end tag.
const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
    b"keygen",
    b"frame",
    b"basefont",
    b"bgsound",
];

/// Elements whose end tag may be left out (`<p>`, `<li>`, table cells):
/// the parser closes them itself, so counting them would find depth that is
/// not there in real pages full of unclosed `<p>`.
const OPTIONAL_END: &[&[u8]] = &[
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"thead",
    b"tbody",
    b"tfoot",
    b"option",
    b"optgroup",
    b"rt",
    b"rp",
    b"colgroup",
    b"caption",
    b"html",
    b"head",
    b"body",
];

/// Elements whose content is text, not markup.
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"plaintext",
];

/// Scans the tags of `html`.
pub fn shape_of(html: &str) -> Shape {
    let bytes = html.as_bytes();
    let mut shape = Shape::default();
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(found) = memchr(b'<', &bytes[at..]) {
        at += found + 1;
        let rest = &bytes[at..];
        if rest.starts_with(b"!--") {
            at += find(&rest[3..], b"-->").map_or(rest.len(), |end| end + 6);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = usize::from(closing);
        let name_len = rest[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        if name_len == 0 || !rest[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = rest[name_start..name_start + name_len].to_ascii_lowercase();
        let tag_end = memchr(b'>', rest).map_or(rest.len(), |end| end + 1);
        let counted = !VOID.contains(&name.as_slice()) && !OPTIONAL_END.contains(&name.as_slice());
        if closing {
            if counted {
                depth = depth.saturating_sub(1);
            }
            at += tag_end;
            continue;
        }
        shape.elements += 1;
        let self_closing = rest[..tag_end].ends_with(b"/>");
        if RAW_TEXT.contains(&name.as_slice()) && !self_closing {
            // Skip to the end tag: a script's `<` are not tags.
            let mut end_tag = b"</".to_vec();
            end_tag.extend_from_slice(&name);
            let content = &rest[tag_end..];
            at += tag_end + find_ignore_case(content, &end_tag).unwrap_or(content.len());
            continue;
        }
        if counted && !self_closing {
            depth += 1;
            shape.depth = shape.depth.max(depth);
        }
        at += tag_end;
    }
    shape
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_what_must_be_closed() {
        let page = "<!doctype html><html><head><title>a <b> c</title><meta charset=utf-8>\
            <script>if (a<b) { x('<div>') }</script></head><body><div><p>one<p>two\
            <div><span>x</span><img src=x><br/></div></div><!-- <div><div> --></body></html>";
        assert_eq!(
            shape_of(page),
            Shape {
                elements: 13,
                depth: 3
            }
        );
        let deep = "<div>".repeat(10_000);
        assert_eq!(shape_of(&deep).depth, 10_000);
        let unclosed_paragraphs = "<p>x".repeat(10_000);
        assert_eq!(shape_of(&unclosed_paragraphs).depth, 0);
        for odd in [
            "",
            "<",
            "</",
            "<<<>>>",
            "< div>",
            "<!--",
            "<script>never closed",
            "</div></div>",
        ] {
            assert_eq!(shape_of(odd).depth, 0, "{odd:?}");
        }
    }
}
