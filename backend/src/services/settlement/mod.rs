//! Settlement (guide §3.8, §3.9; the method in domain.md "Settlement"). For each unit and
//! dispatch event `[start, end)` with the unit's share P of the instruction:
//!
//! 1. response = (reading − baseline) × the group's direction sign, per interval (kW per
//!    minute; kWh per half-hour for half-hourly units, the baseline's kW × ½ h);
//! 2. delivered = response clamped to [0, P] (kWh: [0, P × ½ h]);
//! 3. delivered energy = Σ delivered ÷ 60 (per-minute) or Σ delivered (half-hourly);
//!    instructed energy = P × hours;
//! 4. delivery % = delivered ÷ instructed; completeness % = readings present ÷ expected;
//!    a missing reading counts as no delivery until it arrives;
//! 5. utilisation £ = delivered MWh × utilisation price × the delivery scale's factor;
//! 6. availability £ (programmes paid for availability) = accepted MW × hours × availability
//!    price × performance factor, nothing when the unit delivered nothing in the window;
//! 7. prices are capped at the unit ceiling; money is rounded to the penny per event.
//!
//! Reports are computed from the stored readings and baselines whenever they are asked
//! for, so a late reading or a new baseline shows at once; finalisation freezes them.

use crate::db::entities::{
    availability_windows, dispatch_events, dispatch_groups, fsp_companies, meterable_units, prices,
    programmes, readings, zones,
};
use crate::services::baselines::{self, Source};
use crate::services::calendar::{london_instant, policy_of};
use crate::services::{Actor, ServiceError, assets, corrupt};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::{
    DeliveryScale, Direction, DispatchStatus, EventEarnings, EventReport, IntervalPerformance,
    MeteringGranularity, Month, PaymentBasis, PerformanceFactor, PublicId, ReportStatus,
    UnitPerformance,
};
use std::collections::HashMap;

mod events;
pub mod files;
mod pdf;
mod performance;
pub mod statements;

pub use events::*;
pub use performance::*;
