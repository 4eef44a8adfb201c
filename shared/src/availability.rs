//! Programme policies, availability declarations and their acceptance (guide §3.4, §3.6).
//! Local dates and times are Europe/London; instants are UTC.

use crate::{ProgrammeKind, PublicId};
use serde::{Deserialize, Serialize};

code_enum! {
    /// A day of the week, as policies and baseline templates name it.
    DayOfWeek {
        Monday = "MONDAY",
        Tuesday = "TUESDAY",
        Wednesday = "WEDNESDAY",
        Thursday = "THURSDAY",
        Friday = "FRIDAY",
        Saturday = "SATURDAY",
        Sunday = "SUNDAY",
    }
}

impl DayOfWeek {
    /// Days after Monday: Monday 0 … Sunday 6.
    pub fn offset(self) -> u32 {
        match self {
            Self::Monday => 0,
            Self::Tuesday => 1,
            Self::Wednesday => 2,
            Self::Thursday => 3,
            Self::Friday => 4,
            Self::Saturday => 5,
            Self::Sunday => 6,
        }
    }

    pub fn from_weekday(day: chrono::Weekday) -> Self {
        use chrono::Weekday::*;
        match day {
            Mon => Self::Monday,
            Tue => Self::Tuesday,
            Wed => Self::Wednesday,
            Thu => Self::Thursday,
            Fri => Self::Friday,
            Sat => Self::Saturday,
            Sun => Self::Sunday,
        }
    }
}

code_enum! {
    /// What a programme pays for.
    PaymentBasis {
        /// Accepted availability and delivered utilisation.
        AvailabilityAndUtilisation = "availability_and_utilisation",
        /// Delivered utilisation only.
        UtilisationOnly = "utilisation_only",
    }
}

code_enum! {
    /// How delivery below the instruction scales the utilisation payment.
    DeliveryScale {
        /// Paid for what was delivered.
        Flat = "flat",
        /// Nothing below 50 % delivery, then linearly up to full payment at 100 %.
        Sliding = "sliding",
    }
}

code_enum! {
    /// The factor applied to availability payments.
    PerformanceFactor {
        /// Always 1.
        One = "one",
        /// Last month's delivery ratio.
        LastMonth = "last_month",
    }
}

code_enum! {
    /// Where a declared window stands.
    DeclarationStatus {
        /// Entered, not yet decided.
        Declared = "declared",
        Accepted = "accepted",
        Rejected = "rejected",
    }
}

code_enum! {
    /// What happens at the acceptance time to windows nobody decided (guide §3.6: at the
    /// policy's times declarations become accepted).
    #[derive(Default)]
    UndecidedAtDeadline {
        /// Accepted as declared (the default).
        #[default]
        Accept = "accept",
        /// Rejected.
        Reject = "reject",
    }
}

code_enum! {
    /// Who or what decided a declared window.
    DecidedBy {
        /// An operator's decision.
        Operator = "operator",
        /// The programme accepts every window at the declaration lock (Restore).
        AutoAccept = "auto_accept",
        /// Nobody decided by the acceptance time: the programme's `undecided_at_deadline`.
        UndecidedAtDeadline = "undecided_at_deadline",
    }
}

/// A programme's operating policy. Days and times are Europe/London; the declaration lock
/// and the acceptance time fall in the week before the week they govern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(
        async_graphql::SimpleObject,
        async_graphql::InputObject,
        utoipa::ToSchema
    )
)]
#[cfg_attr(feature = "server", graphql(input_name = "ProgrammePolicyInput"))]
pub struct ProgrammePolicy {
    /// Declarations for a week can be changed until this day of the week before…
    pub declaration_lock_day: DayOfWeek,
    /// …at this local time, `HH:MM` (default Wednesday 23:59).
    pub declaration_lock_time: String,
    /// The operator's acceptance decisions are due by this day of the week before…
    pub acceptance_day: DayOfWeek,
    /// …at this local time (default Thursday 12:00).
    pub acceptance_time: String,
    /// Declared windows are accepted automatically at the lock (Restore).
    pub auto_accept: bool,
    /// Windows still undecided at the acceptance time are accepted or rejected then, by
    /// the scheduler (default: accepted).
    #[serde(default)]
    #[cfg_attr(feature = "server", graphql(default))]
    pub undecided_at_deadline: UndecidedAtDeadline,
    /// Week-ahead schedule: day of the week before, or none.
    pub week_ahead_day: Option<DayOfWeek>,
    /// Week-ahead schedule local time, `HH:MM`.
    pub week_ahead_time: Option<String>,
    /// Day-ahead schedule local time each day, `HH:MM`, or none.
    pub day_ahead_time: Option<String>,
    /// The mandatory week-ahead e-mail (guide §3.7, VAOU: Friday 12:00): day of the week
    /// before, or none. Every user of each company in the programme gets it, whatever
    /// their e-mail preferences.
    #[serde(default)]
    #[cfg_attr(feature = "server", graphql(default))]
    pub week_ahead_email_day: Option<DayOfWeek>,
    /// The mandatory week-ahead e-mail's local time, `HH:MM`.
    #[serde(default)]
    #[cfg_attr(feature = "server", graphql(default))]
    pub week_ahead_email_time: Option<String>,
    /// Minutes before an event's start that the START signal is sent.
    pub start_lead_minutes: u32,
    /// Dispatched by phone or e-mail: no API messages are sent.
    pub manual_dispatch: bool,
    pub payment_basis: PaymentBasis,
    pub delivery_scale: DeliveryScale,
    pub performance_factor: PerformanceFactor,
}

impl ProgrammePolicy {
    /// The defaults of each programme (domain reference, "Weekly cycle").
    pub fn defaults(kind: ProgrammeKind) -> Self {
        let base = Self {
            declaration_lock_day: DayOfWeek::Wednesday,
            declaration_lock_time: "23:59".to_owned(),
            acceptance_day: DayOfWeek::Thursday,
            acceptance_time: "12:00".to_owned(),
            auto_accept: false,
            undecided_at_deadline: UndecidedAtDeadline::Accept,
            week_ahead_day: None,
            week_ahead_time: None,
            day_ahead_time: None,
            week_ahead_email_day: None,
            week_ahead_email_time: None,
            start_lead_minutes: 15,
            manual_dispatch: false,
            payment_basis: PaymentBasis::UtilisationOnly,
            delivery_scale: DeliveryScale::Flat,
            performance_factor: PerformanceFactor::One,
        };
        match kind {
            ProgrammeKind::Sustain => Self {
                week_ahead_day: Some(DayOfWeek::Thursday),
                week_ahead_time: Some("17:00".to_owned()),
                payment_basis: PaymentBasis::AvailabilityAndUtilisation,
                ..base
            },
            ProgrammeKind::Secure => Self {
                day_ahead_time: Some("13:30".to_owned()),
                payment_basis: PaymentBasis::AvailabilityAndUtilisation,
                ..base
            },
            ProgrammeKind::Dynamic => Self {
                week_ahead_day: Some(DayOfWeek::Thursday),
                week_ahead_time: Some("17:00".to_owned()),
                week_ahead_email_day: Some(DayOfWeek::Friday),
                week_ahead_email_time: Some("12:00".to_owned()),
                ..base
            },
            ProgrammeKind::Restore => Self {
                auto_accept: true,
                manual_dispatch: true,
                ..base
            },
            ProgrammeKind::EmergencyFlex => Self {
                manual_dispatch: true,
                ..base
            },
        }
    }
}

impl ProgrammePolicy {
    /// The policy in words, as the Meterable Units page shows it to FSPs.
    pub fn summary(&self) -> String {
        let day = |d: DayOfWeek| {
            let name = d.as_str();
            format!("{}{}", &name[..1], name[1..].to_lowercase())
        };
        let mut parts = vec![format!(
            "declarations lock {} {} the week before",
            day(self.declaration_lock_day),
            self.declaration_lock_time
        )];
        parts.push(if self.auto_accept {
            "accepted automatically at the lock".to_owned()
        } else {
            format!(
                "acceptance by {} {}",
                day(self.acceptance_day),
                self.acceptance_time
            )
        });
        if let (Some(d), Some(t)) = (self.week_ahead_day, &self.week_ahead_time) {
            parts.push(format!("week-ahead schedule {} {t}", day(d)));
        }
        if let Some(t) = &self.day_ahead_time {
            parts.push(format!("day-ahead schedule daily {t}"));
        }
        parts.push(if self.manual_dispatch {
            "dispatched manually (no API signals)".to_owned()
        } else {
            format!("START {} min before the event", self.start_lead_minutes)
        });
        parts.push(
            match self.payment_basis {
                PaymentBasis::AvailabilityAndUtilisation => "paid for availability and utilisation",
                PaymentBasis::UtilisationOnly => "paid for utilisation only",
            }
            .to_owned(),
        );
        parts.push(
            match self.delivery_scale {
                DeliveryScale::Flat => "flat delivery scale",
                DeliveryScale::Sliding => "sliding delivery scale (50–100 %)",
            }
            .to_owned(),
        );
        parts.push(
            match self.performance_factor {
                PerformanceFactor::One => "availability performance factor 1",
                PerformanceFactor::LastMonth => {
                    "availability performance factor: last month's delivery"
                }
            }
            .to_owned(),
        );
        parts.join("; ")
    }
}

/// One declared window of availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct AvailabilityWindow {
    pub id: PublicId,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` (`24:00` is the end of the day).
    pub end: String,
    pub start_utc: chrono::DateTime<chrono::Utc>,
    pub end_utc: chrono::DateTime<chrono::Utc>,
    pub declared_kw: f64,
    pub status: DeclarationStatus,
    /// Accepted windows only.
    pub accepted_kw: Option<f64>,
    /// Accepted windows only: when the accepted availability starts (UTC).
    pub acceptance_start: Option<chrono::DateTime<chrono::Utc>>,
    /// Accepted windows only: when it ends (UTC).
    pub acceptance_end: Option<chrono::DateTime<chrono::Utc>>,
}

/// One day of the availability calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct AvailabilityDay {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// e.g. "17th Feb".
    pub label: String,
    pub windows: Vec<AvailabilityWindow>,
}

/// Availability › Calendar: one dispatch group's declarations in one programme for one
/// week, and what the caller may do with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct AvailabilityWeek {
    /// Monday, `YYYY-MM-DD`.
    pub week_commencing: String,
    pub programme_id: PublicId,
    pub programme: String,
    pub dispatch_group_id: PublicId,
    pub dispatch_group: String,
    /// The most a window may declare: the group's flex capacity.
    pub capacity_kw: f64,
    /// When declarations for this week lock (UTC).
    pub editable_until: chrono::DateTime<chrono::Utc>,
    /// The lock in the guide's words, e.g. "23:59 on Wednesday 12th February 2025".
    pub editable_until_label: String,
    pub locked: bool,
    /// The caller may add, change and remove windows now.
    pub can_edit: bool,
    /// The caller may accept or reject windows now.
    pub can_decide: bool,
    /// The caller is an FSP: the operator enters its declarations, so it reads them only.
    pub managed_by_operator: bool,
    pub days: Vec<AvailabilityDay>,
    /// The group's baseline over the week, half-hourly (empty when none is agreed).
    pub baseline: Vec<BaselinePoint>,
}

/// A window to declare, or a declared window's new values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::InputObject, utoipa::ToSchema)
)]
pub struct WindowInput {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` (`24:00` for the end of the day).
    pub end: String,
    /// Available flexibility, kW: more than zero, at most the group's capacity.
    pub kw: f64,
}

/// One line of the acceptance download (guide §3.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct AcceptanceRow {
    pub zone: String,
    pub programme: String,
    pub dispatch_group_id: PublicId,
    pub dispatch_group: String,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Local start, `HH:MM`.
    pub window_start: String,
    /// Local end, `HH:MM`.
    pub window_end: String,
    pub declared_kw: f64,
    pub status: DeclarationStatus,
    pub acceptance_start: Option<chrono::DateTime<chrono::Utc>>,
    pub acceptance_end: Option<chrono::DateTime<chrono::Utc>>,
    pub accepted_kw: Option<f64>,
    /// Who or what decided the window; none while it is undecided.
    pub decided_by: Option<DecidedBy>,
}

/// The acceptance download's CSV header, in the guide's column order, then how each
/// window was decided.
pub const ACCEPTANCE_CSV_HEADER: &str = "zone,programme,dispatch_group_id,dispatch_group,date,window_start,window_end,declared_kw,status,acceptance_start,acceptance_end,accepted_kw,decided_by";

/// A baseline value: the unit's expected power over one metering interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct BaselinePoint {
    /// Start of the interval (UTC).
    pub start: chrono::DateTime<chrono::Utc>,
    /// Expected power, kW (positive export, negative import).
    pub kw: f64,
}
