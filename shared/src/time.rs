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

/// The Monday that starts a Monday–Sunday week (Europe/London calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WeekCommencing(NaiveDate);

impl WeekCommencing {
    pub fn parse(s: &str) -> Result<Self, WeekError> {
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| WeekError::NotADate)?;
        Self::from_date(date)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_commencing_must_be_a_real_monday() {
        assert!(WeekCommencing::parse("2025-02-17").is_ok());
        assert_eq!(
            WeekCommencing::parse("2025-13-01"),
            Err(WeekError::NotADate)
        );
        assert!(matches!(
            WeekCommencing::parse("2025-02-18"),
            Err(WeekError::NotMonday(_, Weekday::Tue))
        ));
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
