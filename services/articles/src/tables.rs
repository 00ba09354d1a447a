//! The shipped data tables (`data/*.tsv`): one row per line, fields
//! separated by tabs, `#` starting a comment line.

/// The rows of `table` with at least three fields: their first three.
pub(crate) fn three_fields(table: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?, fields.next()?, fields.next()?))
        })
}
