//! Calendar types.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a week commencing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekError {
    #[error("must be a date in the form YYYY-MM-DD")]
    NotADate,
    #[error("must be a Monday ({0} is a {1})")]
    NotMonday(NaiveDate, Weekday),
}

/// A calendar date `YYYY-MM-DD` (RFC 3339 `full-date`, what `format: date` means), parsed
/// strictly: four-digit year, two-digit month and day, nothing around them.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shape
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// The Monday that starts a Monday–Sunday week (Europe/London calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WeekCommencing(NaiveDate);

impl WeekCommencing {
    /// A date of the week, `YYYY-MM-DD`: the week is the Monday–Sunday week containing
    /// it, so its Monday names it and any other day finds it.
    pub fn parse(s: &str) -> Result<Self, WeekError> {
        parse_date(s)
            .map(Self::containing)
            .ok_or(WeekError::NotADate)
    }

    pub fn from_date(date: NaiveDate) -> Result<Self, WeekError> {
        match date.weekday() {
            Weekday::Mon => Ok(Self(date)),
            other => Err(WeekError::NotMonday(date, other)),
        }
    }

    /// The week that contains `date`.
    pub fn containing(date: NaiveDate) -> Self {
        Self(date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday())))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// The seven dates Monday to Sunday.
    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        self.0.iter_days().take(7)
    }

    pub fn previous(self) -> Self {
        Self(self.0 - chrono::Days::new(7))
    }

    pub fn next(self) -> Self {
        Self(self.0 + chrono::Days::new(7))
    }
}

impl TryFrom<String> for WeekCommencing {
    type Error = WeekError;
    fn try_from(s: String) -> Result<Self, WeekError> {
        Self::parse(&s)
    }
}

impl From<WeekCommencing> for String {
    fn from(w: WeekCommencing) -> String {
        w.to_string()
    }
}

impl fmt::Display for WeekCommencing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// A point in time as the API takes it: RFC 3339 `date-time`, with an offset (`Z` or
/// `±hh:mm`), kept as UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Instant(chrono::DateTime<chrono::Utc>);

impl Instant {
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_with_offset(s).map(|t| Self(t.with_timezone(&chrono::Utc)))
    }

    /// The time as sent, offset and all.
    pub fn parse_with_offset(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
        // chrono also takes a space for the `T`; RFC 3339's date-time does not.
        let separator = matches!(s.as_bytes().get(10), Some(b'T' | b't'));
        match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(time) if separator => Ok(time),
            _ => Err("must be an RFC 3339 time such as 2025-02-17T16:00:00Z".to_owned()),
        }
    }

    pub fn utc(self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
}

impl TryFrom<String> for Instant {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Instant> for String {
    fn from(t: Instant) -> String {
        t.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }
}

/// "17th February 2025", the guide's long date style.
pub fn long_date(date: NaiveDate) -> String {
    let day = date.day();
    let suffix = match (day % 10, day % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    };
    format!("{day}{suffix} {}", date.format("%B %Y"))
}

#[cfg(feature = "server")]
mod schema {
    use super::{Instant, WeekCommencing};
    use utoipa::openapi::schema::KnownFormat;
    use utoipa::openapi::{RefOr, schema::Schema};

    impl utoipa::PartialSchema for WeekCommencing {
        fn schema() -> RefOr<Schema> {
            crate::openapi::formatted(
                KnownFormat::Date,
                "A week (Monday to Sunday, Europe/London), named by its Monday, `YYYY-MM-DD`; \
                 any other date of the week finds the same week.",
                "2025-02-17",
            )
            .into()
        }
    }
    impl utoipa::ToSchema for WeekCommencing {}

    impl utoipa::PartialSchema for Instant {
        fn schema() -> RefOr<Schema> {
            crate::openapi::formatted(
                KnownFormat::DateTime,
                "A time, RFC 3339 with `Z` or an offset.",
                "2025-02-17T16:00:00Z",
            )
            .into()
        }
    }
    impl utoipa::ToSchema for Instant {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_is_named_by_any_real_date_in_it() {
        let week = |s| WeekCommencing::parse(s).map(|w| w.to_string());
        assert_eq!(week("2025-02-17"), Ok("2025-02-17".to_owned()));
        assert_eq!(week("2025-02-19"), Ok("2025-02-17".to_owned()));
        assert_eq!(week("2025-02-23"), Ok("2025-02-17".to_owned()));
        for bad in [
            "2025-13-01",
            "2025-02-30",
            "+2025-02-17",
            "2025-2-17",
            " 2025-02-17",
            "",
        ] {
            assert_eq!(
                WeekCommencing::parse(bad),
                Err(WeekError::NotADate),
                "{bad:?}"
            );
        }
        assert!(matches!(
            WeekCommencing::from_date(NaiveDate::from_ymd_opt(2025, 2, 18).unwrap_or_default()),
            Err(WeekError::NotMonday(_, Weekday::Tue))
        ));
    }

    #[test]
    fn an_instant_is_rfc_3339_with_an_offset() {
        let utc = |s| Instant::parse(s).map(String::from);
        assert_eq!(
            utc("2025-02-17T16:00:00Z"),
            Ok("2025-02-17T16:00:00Z".to_owned())
        );
        assert_eq!(
            utc("2025-02-17t17:00:00.5+01:00"),
            Ok("2025-02-17T16:00:00.500Z".to_owned())
        );
        for bad in [
            "2025-02-17 16:00:00Z",
            "2025-02-17T16:00:00",
            "2025-02-30T16:00:00Z",
            "",
            "2025-02-17T24:00:00Z",
        ] {
            assert!(Instant::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn week_containing_a_sunday_starts_the_monday_before() {
        let sunday = NaiveDate::from_ymd_opt(2025, 2, 23).unwrap_or_default();
        assert_eq!(WeekCommencing::containing(sunday).to_string(), "2025-02-17");
    }

    #[test]
    fn long_date_uses_ordinal_suffixes() {
        let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap_or_default();
        assert_eq!(long_date(d(2, 17)), "17th February 2025");
        assert_eq!(long_date(d(2, 1)), "1st February 2025");
        assert_eq!(long_date(d(2, 22)), "22nd February 2025");
        assert_eq!(long_date(d(2, 11)), "11th February 2025");
        assert_eq!(long_date(d(3, 23)), "23rd March 2025");
    }
}
