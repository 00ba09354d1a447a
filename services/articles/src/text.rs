//! Runs of word characters, found without decoding ASCII.
//!
//! Enrichment and fingerprinting walk every character of every page;
//! decoding each one to a `char` was a large share of their cost, and most
//! of any page is ASCII.

/// Calls `run(start, end)` with the byte range of each maximal run of
/// characters for which `is_part` holds, in order.
pub(crate) fn for_each_run(
    text: &str,
    is_part: impl Fn(char) -> bool,
    mut run: impl FnMut(usize, usize),
) {
    let bytes = text.as_bytes();
    // The character at `at` (a boundary: `at` only ever moves by whole
    // characters) and its width.
    let char_at = |at: usize| match bytes[at] {
        byte if byte.is_ascii() => (char::from(byte), 1),
        _ => {
            let c = text[at..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            (c, c.len_utf8())
        }
    };
    let mut at = 0;
    while at < bytes.len() {
        // Skip to the start of a run, then to its end.
        let (c, width) = char_at(at);
        if !is_part(c) {
            at += width;
            continue;
        }
        let start = at;
        at += width;
        while at < bytes.len() {
            let (c, width) = char_at(at);
            if !is_part(c) {
                break;
            }
            at += width;
        }
        run(start, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_match_splitting_on_the_other_characters() {
        for text in [
            "",
            "plain words, and-dashes; it's",
            "  ünïcödé Wörter — “quoted” Πιονγκγιάνγκ 北朝鮮 end",
            "é",
            "trailing run",
            "-leading and trailing-",
        ] {
            for is_part in [char::is_alphanumeric, |c: char| {
                c.is_alphanumeric() || c == '-'
            }] {
                let mut runs = Vec::new();
                for_each_run(text, is_part, |start, end| runs.push(&text[start..end]));
                let split: Vec<&str> = text
                    .split(|c| !is_part(c))
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(runs, split, "{text:?}");
            }
        }
    }
}
