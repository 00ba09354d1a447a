//! Trading sessions: whether a venue was open at an instant, from
//! `data/sessions.tsv` (generated from the exchange-calendars package by
//! `scripts/reference-data/sessions.py`: holidays, early closes and lunch
//! breaks included, in UTC).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// One session of one venue, in UTC: it may run past midnight UTC (Sydney
/// opens at 23:00 UTC in the southern summer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Session {
    open: DateTime<Utc>,
    close: DateTime<Utc>,
    /// A lunch break (Tokyo), when the venue has one.
    break_between: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Session {
    fn contains(&self, at: DateTime<Utc>) -> bool {
        let in_break = self
            .break_between
            .is_some_and(|(start, end)| at >= start && at < end);
        at >= self.open && at < self.close && !in_break
    }
}

/// The sessions of every venue the file covers, and the dates it covers.
#[derive(Debug, Clone, Default)]
pub struct TradingCalendar {
    sessions: HashMap<String, BTreeMap<NaiveDate, Session>>,
    covered: Option<(NaiveDate, NaiveDate)>,
}

/// A line of the sessions file that is not `mic date open close [break_start break_end]`.
#[derive(Debug, thiserror::Error)]
#[error("sessions line {line}: {problem}")]
pub struct SessionsError {
    line: usize,
    problem: String,
}

impl TradingCalendar {
    /// The calendar shipped with tickertape.
    pub fn builtin() -> Self {
        Self::from_tsv(include_str!("../data/sessions.tsv"))
            .expect("the shipped sessions.tsv is valid (checked by a unit test)")
    }

    /// Reads sessions in the format of `data/sessions.tsv`. The dates it
    /// covers are from its first to its last session of any venue.
    ///
    /// Fails on a line that does not have that shape.
    pub fn from_tsv(text: &str) -> Result<Self, SessionsError> {
        let mut calendar = TradingCalendar::default();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let fail = |problem: &str| SessionsError {
                line: index + 1,
                problem: problem.to_owned(),
            };
            let cells: Vec<&str> = line.split('\t').collect();
            let (mic, date, session) = match cells.as_slice() {
                [mic, date, open, close, rest @ ..] if rest.is_empty() || rest.len() == 2 => {
                    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                        .map_err(|_| fail("bad date"))?;
                    let open = NaiveTime::parse_from_str(open, "%H:%M")
                        .map_err(|_| fail("bad open time"))?;
                    // A time before the open is on the next UTC day.
                    let instant = |cell: &str, what: &str| {
                        let time = NaiveTime::parse_from_str(cell, "%H:%M")
                            .map_err(|_| fail(&format!("bad {what}")))?;
                        let day = if time < open {
                            date.succ_opt()
                        } else {
                            Some(date)
                        };
                        day.map(|day| day.and_time(time).and_utc())
                            .ok_or_else(|| fail(&format!("{what} after the last date")))
                    };
                    let break_between = match rest {
                        [start, end] => {
                            Some((instant(start, "break start")?, instant(end, "break end")?))
                        }
                        _ => None,
                    };
                    let session = Session {
                        open: date.and_time(open).and_utc(),
                        close: instant(close, "close time")?,
                        break_between,
                    };
                    (*mic, date, session)
                }
                _ => return Err(fail("expected 4 or 6 tab-separated cells")),
            };
            calendar.covered = Some(match calendar.covered {
                None => (date, date),
                Some((first, last)) => (first.min(date), last.max(date)),
            });
            calendar
                .sessions
                .entry(mic.to_owned())
                .or_default()
                .insert(date, session);
        }
        Ok(calendar)
    }

    /// Whether venue `mic` was trading at `at`: None when the calendar does
    /// not know the venue or does not cover the date (it cannot say).
    pub fn is_open(&self, mic: &str, at: DateTime<Utc>) -> Option<bool> {
        let sessions = self.sessions.get(mic)?;
        let date = at.date_naive();
        let (first, last) = self.covered?;
        if date < first || date > last {
            return None;
        }
        // The session that opened that UTC day or the day before (and may
        // run past midnight); none on a weekend or a holiday.
        let mut opened = sessions.range(..=date).rev().take(2);
        Some(opened.any(|(_, session)| session.contains(at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_shipped_calendar_knows_holidays_early_closes_and_breaks() {
        let calendar = TradingCalendar::builtin();
        // New York: 09:30-16:00 local, 14:30-21:00 UTC in November.
        assert_eq!(
            calendar.is_open("XNYS", at("2024-11-12T15:00:00Z")),
            Some(true)
        );
        assert_eq!(
            calendar.is_open("XNYS", at("2024-11-12T14:29:59Z")),
            Some(false)
        );
        assert_eq!(
            calendar.is_open("XNYS", at("2024-11-12T21:00:00Z")),
            Some(false)
        );
        // Thanksgiving, then the half day after it.
        assert_eq!(
            calendar.is_open("XNYS", at("2024-11-28T15:00:00Z")),
            Some(false)
        );
        assert_eq!(
            calendar.is_open("XNYS", at("2024-11-29T17:59:00Z")),
            Some(true)
        );
        assert_eq!(
            calendar.is_open("XNYS", at("2024-11-29T18:30:00Z")),
            Some(false)
        );
        // Nasdaq keeps New York's hours; the Pink tier too.
        assert_eq!(
            calendar.is_open("XNAS", at("2024-11-12T15:00:00Z")),
            Some(true)
        );
        assert_eq!(
            calendar.is_open("PINX", at("2024-11-12T15:00:00Z")),
            Some(true)
        );
        // London in summer time: 08:00-16:30 local is 07:00-15:30 UTC.
        assert_eq!(
            calendar.is_open("XLON", at("2025-06-10T07:30:00Z")),
            Some(true)
        );
        assert_eq!(
            calendar.is_open("XLON", at("2025-06-10T15:45:00Z")),
            Some(false)
        );
        // A Saturday.
        assert_eq!(
            calendar.is_open("XETR", at("2024-11-16T10:00:00Z")),
            Some(false)
        );
        // Tokyo's lunch break.
        assert_eq!(
            calendar.is_open("XTKS", at("2025-03-04T01:00:00Z")),
            Some(true)
        );
        assert_eq!(
            calendar.is_open("XTKS", at("2025-03-04T03:00:00Z")),
            Some(false)
        );
        // Sydney in its summer: 10:00-16:00 local is 23:00-05:00 UTC, the
        // session running past midnight UTC; Saturday's early hours UTC
        // are Saturday in Sydney too.
        for (instant, open) in [
            ("2025-01-13T22:59:00Z", false),
            ("2025-01-13T23:30:00Z", true),
            ("2025-01-14T02:00:00Z", true),
            ("2025-01-14T05:00:00Z", false),
            ("2025-01-18T01:00:00Z", false),
        ] {
            assert_eq!(
                calendar.is_open("XASX", at(instant)),
                Some(open),
                "{instant}"
            );
        }
        // What the calendar cannot say.
        assert_eq!(calendar.is_open("XXXX", at("2024-11-12T15:00:00Z")), None);
        assert_eq!(calendar.is_open("XNYS", at("2031-01-06T15:00:00Z")), None);
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        let error = TradingCalendar::from_tsv("# c\nXNYS\t2024-01-02\t14:30\n").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(TradingCalendar::from_tsv("XNYS\t2024-01-02\t25:00\t21:00\n").is_err());
    }
}
