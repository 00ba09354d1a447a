//! Checks every processor's settings share: a setting is checked once, when
//! the processor's settings are built, so no value can fail later (a time
//! span that overflows `TimeDelta` panics where it is used).

use chrono::TimeDelta;

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

#[cfg(test)]
mod tests {
    use super::*;

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
