//! Settlement (guide §3.8, §3.9): event performance reports, earnings and monthly
//! statements. Every figure can be reproduced by hand from the intervals and prices shown
//! beside it; the method is in `services::settlement`.

use crate::{DeliveryScale, MeteringGranularity, PublicId};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

code_enum! {
    /// Whether a report or statement may still change.
    ReportStatus {
        /// Recomputed whenever late readings or a baseline change arrive.
        Provisional = "provisional",
        /// Frozen at 00:00 London on the 15th of the following month (or re-issued by the
        /// operator as a new version).
        Final = "final",
    }
}

/// One metering interval of an event for one unit. Per-minute units: kW; half-hourly
/// units: kWh for the half-hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct IntervalPerformance {
    /// Start of the interval (UTC); its reading is stamped with the interval's end.
    pub start: DateTime<Utc>,
    pub baseline: f64,
    /// None when no reading has arrived (counted as no delivery).
    pub reading: Option<f64>,
    /// Reading − baseline, signed so that movement in the instructed direction is positive.
    pub response: f64,
    /// The response clamped to [0, instruction]: delivery beyond the instruction is not paid.
    pub delivered: f64,
}

/// A unit's performance in one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct UnitPerformance {
    pub meterable_unit_id: PublicId,
    pub meterable_unit: String,
    pub metering_granularity: MeteringGranularity,
    /// This unit's share of the group's instruction (shared equally among its units), kW.
    pub instructed_kw: f64,
    pub instructed_kwh: f64,
    pub delivered_kwh: f64,
    /// Delivered ÷ instructed energy, %.
    pub delivery_percent: f64,
    /// Readings present ÷ intervals expected, %.
    pub completeness_percent: f64,
    pub missing_intervals: i32,
    /// Filled in on a single report; empty in lists.
    pub intervals: Vec<IntervalPerformance>,
}

/// What an event earned. Prices are £/MWh (utilisation) and £/MW/h (availability), capped
/// at the unit ceiling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct EventEarnings {
    pub delivered_mwh: f64,
    /// The configured utilisation price, £/MWh (none when the programme has none).
    pub utilisation_price: Option<f64>,
    /// The price paid: the configured one capped at the unit ceiling.
    pub utilisation_price_applied: f64,
    pub delivery_scale: DeliveryScale,
    /// The delivery scale's factor at this delivery % (1 when flat).
    pub scale_factor: f64,
    /// delivered MWh × applied price × scale factor, to the penny.
    pub utilisation_gbp: f64,
    /// For programmes paid for availability: the dispatched window's accepted MW.
    pub accepted_mw: f64,
    pub availability_hours: f64,
    pub availability_price_applied: f64,
    pub performance_factor: f64,
    /// accepted MW × hours × applied price × performance factor, to the penny; nothing
    /// when the unit delivered nothing in the window.
    pub availability_gbp: f64,
    pub total_gbp: f64,
}

/// The performance report and earnings of one dispatch event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct EventReport {
    /// The dispatch's id.
    pub id: PublicId,
    pub status: ReportStatus,
    /// Version of a final report (1, then one more per re-issue); 0 while provisional.
    pub version: i32,
    pub zone_id: String,
    pub zone: String,
    pub programme: String,
    pub company: String,
    pub dispatch_group_id: PublicId,
    pub dispatch_group: String,
    /// Which way the instruction moves net export: the sign of a response.
    pub direction: crate::Direction,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub power_change_kw: f64,
    pub instructed_kwh: f64,
    pub delivered_kwh: f64,
    pub delivery_percent: f64,
    pub completeness_percent: f64,
    pub missing_intervals: i32,
    pub units: Vec<UnitPerformance>,
    pub earnings: EventEarnings,
}

/// One line of a monthly statement: a dispatch group in a programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct StatementLine {
    pub dispatch_group_id: PublicId,
    pub dispatch_group: String,
    pub programme: String,
    /// Events that ended in the month.
    pub events: i32,
    /// Accepted windows in the month that earn availability.
    pub windows: i32,
    pub delivered_mwh: f64,
    /// Σ accepted MW × hours × availability price × performance factor, per window.
    pub availability_gbp: f64,
    /// Σ of the events' utilisation payments.
    pub utilisation_gbp: f64,
    pub total_gbp: f64,
}

/// A company's statement for one zone and month (guide §3.9): provisional during the
/// following month, final from 00:00 London on the 15th.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Statement {
    /// `{month}.{zone id}.{company id}`, stable across versions.
    pub id: String,
    pub month: String,
    pub status: ReportStatus,
    /// 1 for the statement finalised on the 15th, then one more per re-issue; 0 while
    /// provisional.
    pub version: i32,
    /// Why the operator re-issued it (versions after the first).
    pub reason: Option<String>,
    /// When this version was made final.
    pub issued_at: Option<DateTime<Utc>>,
    pub company_id: PublicId,
    /// The company's registered name.
    pub company: String,
    /// Its Companies House registration number (guide §3.9).
    #[serde(default)]
    pub company_number: String,
    /// Its VAT number; none if it is not registered for VAT.
    #[serde(default)]
    pub vat_number: Option<String>,
    /// Its billing address.
    #[serde(default)]
    pub billing_address: String,
    pub operator: String,
    pub zone_id: String,
    pub zone: String,
    pub lines: Vec<StatementLine>,
    pub availability_gbp: f64,
    pub utilisation_gbp: f64,
    pub total_gbp: f64,
}

/// A version of a final statement, as listed beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct StatementVersion {
    pub version: i32,
    pub issued_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub total_gbp: f64,
}

/// A billing month, `YYYY-MM`. Its bounds are midnights in Europe/London.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// What [`Month::parse`] accepts, as a regular expression (the OpenAPI `pattern`).
    pub const PATTERN: &'static str = "^2[0-9]{3}-(0[1-9]|1[0-2])$";

    /// `YYYY-MM`, e.g. `2025-03`, in the years 2000 to 2999.
    pub fn parse(s: &str) -> Result<Self, String> {
        crate::time::parse_date(&format!("{s}-01"))
            .filter(|d| (2000..=2999).contains(&chrono::Datelike::year(d)))
            .map(Self::of)
            .ok_or_else(|| format!("must be a month as YYYY-MM, e.g. 2025-03 (got {s:?})"))
    }

    /// The month a date falls in.
    pub fn of(date: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// "March 2025".
    pub fn long_name(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for Month {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

#[cfg(feature = "server")]
mod schema {
    use super::Month;
    use utoipa::openapi::{RefOr, schema::Schema};

    impl utoipa::PartialSchema for Month {
        fn schema() -> RefOr<Schema> {
            crate::openapi::text(
                "A billing month, `YYYY-MM`, in the years 2000 to 2999.",
                Month::PATTERN,
                "2025-03",
            )
            .into()
        }
    }
    impl utoipa::ToSchema for Month {}

    impl utoipa::PartialSchema for super::StatementId {
        fn schema() -> RefOr<Schema> {
            crate::openapi::text(
                "A statement id: `{month}.{zone id}.{company id}`.",
                super::StatementId::PATTERN,
                "2025-02.twilight-zone.LuHmGc49c30Hsb872q2d",
            )
            .into()
        }
    }
    impl utoipa::ToSchema for super::StatementId {}
}

/// A statement's id, `{month}.{zone id}.{company id}`: one company's statement for one
/// zone and month.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatementId {
    pub month: Month,
    pub zone: crate::ZoneSlug,
    pub company: PublicId,
}

impl StatementId {
    /// What [`StatementId::parse`] accepts, as a regular expression.
    pub const PATTERN: &'static str =
        "^2[0-9]{3}-(0[1-9]|1[0-2])\\.[a-z0-9-]{1,64}\\.[A-Za-z0-9]{20}$";

    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || "must be a statement id, {month}.{zone id}.{company id}".to_owned();
        let mut parts = s.splitn(3, '.');
        let (Some(month), Some(zone), Some(company)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        Ok(Self {
            month: Month::parse(month).map_err(|_| bad())?,
            zone: crate::ZoneSlug::parse(zone).map_err(|_| bad())?,
            company: PublicId::parse(company).map_err(|_| bad())?,
        })
    }
}

impl std::fmt::Display for StatementId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.month, self.zone, self.company)
    }
}

impl TryFrom<String> for StatementId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<StatementId> for String {
    fn from(id: StatementId) -> String {
        id.to_string()
    }
}

/// How a list is downloaded: JSON (the default) or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum TableFormat {
    #[default]
    Json,
    Csv,
}

/// How a report is downloaded: JSON (the default), CSV or PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum FileFormat {
    #[default]
    Json,
    Csv,
    Pdf,
}

/// Which of an event's two documents a CSV or PDF download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum EventDocument {
    /// Every interval's baseline, reading, response and delivery.
    #[default]
    Performance,
    /// The event's earnings statement.
    Earnings,
}

/// API Testing › Sample Reports: which sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum SampleKind {
    Performance,
    Earnings,
    Statement,
}

impl SampleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Performance => "performance",
            Self::Earnings => "earnings",
            Self::Statement => "statement",
        }
    }
}

/// A statement with the list of its final versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(async_graphql::SimpleObject))]
pub struct StatementDetail {
    pub statement: Statement,
    /// Every final version, oldest first (empty while provisional).
    pub versions: Vec<StatementVersion>,
}

/// API Testing › Sample Reports: an example computed from sandbox data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(async_graphql::SimpleObject))]
pub struct SampleReports {
    pub event_report: EventReport,
    pub statement: Statement,
}

#[cfg(test)]
mod tests {
    use super::Month;

    #[test]
    fn months_parse_strictly_and_roll_over() {
        let march = Month::parse("2025-03").expect("month");
        assert_eq!(march.to_string(), "2025-03");
        assert_eq!(march.long_name(), "March 2025");
        assert_eq!(
            Month::parse("2024-12").expect("m").next().to_string(),
            "2025-01"
        );
        assert_eq!(
            Month::parse("2025-01").expect("m").previous().to_string(),
            "2024-12"
        );
        for bad in [
            "2025-3",
            "2025-13",
            "March",
            "2025/03",
            "25-03",
            "",
            " 2025-03",
            "2025-+3",
            "1999-12",
            "2025-03-01",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }
}
