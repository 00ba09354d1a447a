//! Checks every processor's settings share: a setting is checked once, when
//! the processor's settings are built, so no value can fail later (a time
//! span that overflows `TimeDelta` panics where it is used).

use chrono::{DateTime, TimeDelta, Utc};

use crate::Rejection;

/// A setting outside what the processor accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} = {value}: {expected}")]
pub struct SettingsError {
    /// The setting, as the operator names it (flag and environment variable).
    pub setting: &'static str,
    /// The value given.
    pub value: String,
    /// What it must be.
    pub expected: String,
}

impl SettingsError {
    /// `setting` was given `value`, which is not `expected`.
    pub fn new(setting: &'static str, value: impl ToString, expected: impl Into<String>) -> Self {
        SettingsError {
            setting,
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}

/// The longest time span a setting may be: a century is longer than any
/// window or bound a stream processor means, and far inside `TimeDelta`.
pub const MAX_SPAN_S: u64 = 100 * 366 * 86_400;

/// A span given in seconds.
///
/// Fails when it is longer than [`MAX_SPAN_S`].
pub fn span_s(setting: &'static str, seconds: u64) -> Result<TimeDelta, SettingsError> {
    span_ms(setting, seconds.saturating_mul(1000)).map_err(|_| too_long(setting, seconds, "s"))
}

/// A span given in milliseconds.
///
/// Fails when it is longer than [`MAX_SPAN_S`].
pub fn span_ms(setting: &'static str, millis: u64) -> Result<TimeDelta, SettingsError> {
    if millis > MAX_SPAN_S * 1000 {
        return Err(too_long(setting, millis, "ms"));
    }
    // In range by the check above.
    i64::try_from(millis)
        .ok()
        .and_then(TimeDelta::try_milliseconds)
        .ok_or_else(|| too_long(setting, millis, "ms"))
}

fn too_long(setting: &'static str, value: u64, unit: &str) -> SettingsError {
    let bound = match unit {
        "s" => MAX_SPAN_S,
        _ => MAX_SPAN_S * 1000,
    };
    SettingsError::new(
        setting,
        value,
        format!("must be at most {bound} {unit} (a century)"),
    )
}

/// A count that must be at least one.
///
/// Fails on zero.
pub fn at_least_one(setting: &'static str, count: usize) -> Result<usize, SettingsError> {
    if count == 0 {
        return Err(SettingsError::new(setting, count, "must be at least 1"));
    }
    Ok(count)
}

/// The times an input may claim: an input's clock (a page's fetch time, a
/// tick's time) is the sender's, and a wrong one must not become news or
/// state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBounds {
    /// How far ahead of the processing clock an input's time may be.
    pub max_future: TimeDelta,
    /// The earliest time an input may claim.
    pub earliest: DateTime<Utc>,
}

/// The flags of [`TimeBounds`], shared by every service (one setting for
/// pages and ticks alike).
#[derive(Debug, Clone, clap::Args)]
pub struct TimeBoundsArgs {
    /// An input whose own time (a page's fetch time, a tick's time) is
    /// further than this ahead of the clock is refused (`future_time`).
    #[arg(long, env = "TICKERTAPE_MAX_FUTURE_MS", default_value_t = DEFAULT_MAX_FUTURE_MS)]
    pub max_future_ms: u64,
    /// An input whose own time is before this is refused (`too_early`): a
    /// time in seconds read as milliseconds, or a feed's default date.
    #[arg(long, env = "TICKERTAPE_EARLIEST_TIME", default_value = DEFAULT_EARLIEST)]
    pub earliest_time: DateTime<Utc>,
}

impl TimeBoundsArgs {
    /// The bounds, checked.
    ///
    /// Fails when the margin is longer than a century.
    pub fn bounds(&self) -> Result<TimeBounds, SettingsError> {
        Ok(TimeBounds {
            max_future: span_ms(
                "--max-future-ms (TICKERTAPE_MAX_FUTURE_MS)",
                self.max_future_ms,
            )?,
            earliest: self.earliest_time,
        })
    }
}

impl Default for TimeBoundsArgs {
    /// The documented defaults.
    fn default() -> Self {
        TimeBoundsArgs {
            max_future_ms: DEFAULT_MAX_FUTURE_MS,
            earliest_time: DEFAULT_EARLIEST.parse().expect("a valid RFC 3339 time"),
        }
    }
}

/// The earliest time an input may claim unless configured otherwise:
/// 1990-01-01, before any feed tickertape reads.
pub const DEFAULT_EARLIEST: &str = "1990-01-01T00:00:00Z";

/// How far ahead of the processing clock an input's time may be unless
/// configured otherwise: five minutes of clock skew between hosts.
pub const DEFAULT_MAX_FUTURE_MS: u64 = 300_000;

impl TimeBounds {
    /// Checks `time`, the input's `what` (`"tick time"`), against the
    /// processing clock `now`.
    ///
    /// Fails with reason `future_time` or `too_early`.
    pub fn check(
        &self,
        what: &str,
        time: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        if time - now > self.max_future {
            return Err(Rejection::new(
                "future_time",
                format!(
                    "{what} {} is more than {} s ahead of the clock",
                    time.to_rfc3339(),
                    self.max_future.num_seconds()
                ),
            ));
        }
        if time < self.earliest {
            return Err(Rejection::new(
                "too_early",
                format!(
                    "{what} {} is before the earliest accepted time {}",
                    time.to_rfc3339(),
                    self.earliest.to_rfc3339()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_times_are_bounded_on_both_sides() {
        let bounds = TimeBounds {
            max_future: TimeDelta::minutes(5),
            earliest: DEFAULT_EARLIEST.parse().unwrap(),
        };
        let now: DateTime<Utc> = "2024-11-12T15:00:00Z".parse().unwrap();
        let at = |text: &str| -> DateTime<Utc> { text.parse().unwrap() };
        assert!(bounds.check("t", now, now).is_ok());
        assert!(bounds.check("t", at("2024-11-12T15:05:00Z"), now).is_ok());
        assert!(bounds.check("t", at("1990-01-01T00:00:00Z"), now).is_ok());
        for (time, reason) in [
            ("2024-11-12T15:05:01Z", "future_time"),
            ("9999-12-31T23:59:59Z", "future_time"),
            ("1989-12-31T23:59:59Z", "too_early"),
            ("1970-01-01T00:00:00Z", "too_early"),
            ("0000-01-01T00:00:00Z", "too_early"),
        ] {
            assert_eq!(
                bounds.check("t", at(time), now).unwrap_err().reason,
                reason,
                "{time}"
            );
        }
        for max_future_ms in [u64::MAX, i64::MAX as u64] {
            let args = TimeBoundsArgs {
                max_future_ms,
                ..TimeBoundsArgs::default()
            };
            assert!(args
                .bounds()
                .unwrap_err()
                .setting
                .starts_with("--max-future-ms"));
        }
        assert_eq!(TimeBoundsArgs::default().bounds().unwrap(), bounds);
        let far_past = DateTime::<Utc>::MIN_UTC;
        assert_eq!(
            bounds.check("t", far_past, now).unwrap_err().reason,
            "too_early"
        );
    }

    #[test]
    fn spans_up_to_a_century_are_accepted_and_longer_ones_named() {
        assert_eq!(span_s("--w", 0).unwrap(), TimeDelta::zero());
        assert_eq!(span_s("--w", 300).unwrap(), TimeDelta::minutes(5));
        assert_eq!(span_ms("--w", 1).unwrap(), TimeDelta::milliseconds(1));
        assert!(span_s("--w", MAX_SPAN_S).is_ok());
        for seconds in [MAX_SPAN_S + 1, i64::MAX as u64 / 1000 + 1, u64::MAX] {
            let error = span_s("--w", seconds).unwrap_err();
            assert_eq!(error.setting, "--w");
            assert_eq!(error.value, seconds.to_string());
            assert!(error.to_string().contains("at most"), "{error}");
        }
        assert!(span_ms("--w", u64::MAX).is_err());
        assert!(at_least_one("--n", 0).is_err());
        assert_eq!(at_least_one("--n", usize::MAX).unwrap(), usize::MAX);
    }
}
