//! The arithmetic of settlement, free of storage: a unit's performance against its
//! baseline and instruction, the delivery scale, the ceiling, earnings, pennies.

use super::*;

/// +1 when the instruction raises net export (turn down demand), −1 when it lowers it.
pub fn direction_sign(direction: Direction) -> f64 {
    match direction {
        Direction::TurnDown => 1.0,
        Direction::TurnUp => -1.0,
    }
}

/// The delivery scale's factor at `delivery_percent`: flat pays what was delivered; the
/// sliding scale pays nothing below 50 % and rises linearly to full payment at 100 %.
pub fn scale_factor(scale: DeliveryScale, delivery_percent: f64) -> f64 {
    match scale {
        DeliveryScale::Flat => 1.0,
        DeliveryScale::Sliding if delivery_percent < 50.0 => 0.0,
        DeliveryScale::Sliding => ((delivery_percent - 50.0) / 50.0).min(1.0),
    }
}

/// Rounds money to the penny, halves away from zero as on paper: the figure is first
/// settled to a millionth of a penny so that binary noise (0.25 × 1.99 is stored as
/// 0.497499…) cannot turn a hand-computed £0.50 into £0.49.
pub fn pennies(gbp: f64) -> f64 {
    ((gbp * 100.0 * 1e6).round() / 1e6).round() / 100.0
}

pub(super) fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

/// One unit's performance over `[start, end)` against its share `instructed_kw`.
/// `baseline` has a kW value per interval start (missing ones count as 0 kW); `readings`
/// maps each reading's stamp (the interval's end) to kW or kWh.
pub fn unit_performance(
    granularity: MeteringGranularity,
    instructed_kw: f64,
    sign: f64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    baseline: &HashMap<DateTime<Utc>, f64>,
    readings: &HashMap<DateTime<Utc>, f64>,
) -> (Vec<IntervalPerformance>, Totals) {
    let step_minutes = baselines::step_minutes(granularity);
    let step = Duration::minutes(i64::from(step_minutes));
    let hours_per_step = f64::from(step_minutes) / 60.0;
    // Half-hourly readings are energy: the baseline and the cap become kWh per interval.
    let (to_reading_units, cap) = match granularity {
        MeteringGranularity::PerMinute => (1.0, instructed_kw),
        MeteringGranularity::HalfHourly => (hours_per_step, instructed_kw * hours_per_step),
    };
    let mut intervals = Vec::new();
    let mut delivered_sum = 0.0;
    let mut present = 0;
    let mut at = start;
    while at < end {
        let base = baseline.get(&at).copied().unwrap_or(0.0) * to_reading_units;
        let reading = readings.get(&(at + step)).copied();
        let response = reading.map_or(0.0, |r| (r - base) * sign);
        let delivered = if reading.is_some() {
            response.clamp(0.0, cap.max(0.0))
        } else {
            0.0
        };
        if reading.is_some() {
            present += 1;
        }
        delivered_sum += delivered;
        intervals.push(IntervalPerformance {
            start: at,
            baseline: base,
            reading,
            response,
            delivered,
        });
        at += step;
    }
    let delivered_kwh = match granularity {
        MeteringGranularity::PerMinute => delivered_sum / 60.0,
        MeteringGranularity::HalfHourly => delivered_sum,
    };
    let hours = (end - start).num_seconds() as f64 / 3600.0;
    let instructed_kwh = instructed_kw * hours;
    let expected = intervals.len();
    let totals = Totals {
        instructed_kwh,
        delivered_kwh,
        expected: i32::try_from(expected).unwrap_or(i32::MAX),
        present,
    };
    (intervals, totals)
}

/// Energy and interval counts of one unit (or, summed, a group) in one event.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub instructed_kwh: f64,
    pub delivered_kwh: f64,
    pub expected: i32,
    pub present: i32,
}

impl Totals {
    pub fn delivery_percent(&self) -> f64 {
        percent(self.delivered_kwh, self.instructed_kwh)
    }

    pub fn completeness_percent(&self) -> f64 {
        percent(f64::from(self.present), f64::from(self.expected))
    }

    pub fn missing(&self) -> i32 {
        self.expected - self.present
    }

    pub(super) fn add(&mut self, other: &Totals) {
        self.instructed_kwh += other.instructed_kwh;
        self.delivered_kwh += other.delivered_kwh;
        self.expected += other.expected;
        self.present += other.present;
    }
}

/// A price in £ from pence, capped at the ceiling when there is one.
pub(crate) fn applied(price_pence: Option<i64>, ceiling_pence: Option<i64>) -> f64 {
    let price = price_pence.unwrap_or(0);
    let capped = ceiling_pence.map_or(price, |c| price.min(c));
    capped as f64 / 100.0
}

/// The inputs of one event's earnings.
pub struct EarningsInput {
    pub totals: Totals,
    pub scale: DeliveryScale,
    pub pays_availability: bool,
    pub price: Option<prices::Model>,
    /// The dispatched window's accepted kW and hours, if it came from one.
    pub window: Option<(f64, f64)>,
    pub performance_factor: f64,
}

pub fn earnings(input: &EarningsInput) -> EventEarnings {
    let price = input.price.as_ref();
    let ceiling = price.and_then(|p| p.unit_ceiling_pence);
    let utilisation_price = price
        .and_then(|p| p.utilisation_price_pence)
        .map(|p| p as f64 / 100.0);
    let utilisation_price_applied = applied(price.and_then(|p| p.utilisation_price_pence), ceiling);
    let delivered_mwh = input.totals.delivered_kwh / 1000.0;
    let factor = scale_factor(input.scale, input.totals.delivery_percent());
    let utilisation_gbp = pennies(delivered_mwh * utilisation_price_applied * factor);
    let (accepted_mw, hours) = match (input.pays_availability, input.window) {
        (true, Some((kw, hours))) => (kw / 1000.0, hours),
        _ => (0.0, 0.0),
    };
    let availability_price_applied =
        applied(price.and_then(|p| p.availability_price_pence), ceiling);
    // A unit that delivered nothing in its window was wholly unavailable: no availability.
    let available = input.totals.delivered_kwh > 0.0;
    let availability_gbp = if available {
        pennies(accepted_mw * hours * availability_price_applied * input.performance_factor)
    } else {
        0.0
    };
    EventEarnings {
        delivered_mwh,
        utilisation_price,
        utilisation_price_applied,
        delivery_scale: input.scale,
        scale_factor: factor,
        utilisation_gbp,
        accepted_mw,
        availability_hours: hours,
        availability_price_applied,
        performance_factor: input.performance_factor,
        availability_gbp,
        total_gbp: pennies(utilisation_gbp + availability_gbp),
    }
}

/// The London-midnight bounds of a month, as UTC instants.
pub fn month_bounds(month: Month) -> Result<(DateTime<Utc>, DateTime<Utc>), ServiceError> {
    let from = london_instant(month.first_day(), 0).ok_or_else(|| corrupt("month start"))?;
    let to = london_instant(month.next().first_day(), 0).ok_or_else(|| corrupt("month end"))?;
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn minutes_from(start: DateTime<Utc>, n: i64, kw: f64) -> HashMap<DateTime<Utc>, f64> {
        (0..n).map(|i| (start + Duration::minutes(i), kw)).collect()
    }

    fn readings_from(start: DateTime<Utc>, n: i64, kw: f64) -> HashMap<DateTime<Utc>, f64> {
        (1..=n)
            .map(|i| (start + Duration::minutes(i), kw))
            .collect()
    }

    #[test]
    fn delivery_beyond_the_instruction_is_not_paid() {
        // 300 kW of turn-down against a 250 kW instruction for an hour: 250 kWh.
        let start = at("2025-03-10T16:00:00Z");
        let end = start + Duration::hours(1);
        let baseline = minutes_from(start, 60, -400.0);
        let readings = readings_from(start, 60, -100.0);
        let (intervals, totals) = unit_performance(
            MeteringGranularity::PerMinute,
            250.0,
            1.0,
            start,
            end,
            &baseline,
            &readings,
        );
        assert_eq!(intervals.len(), 60);
        assert_eq!(intervals[0].response, 300.0);
        assert_eq!(intervals[0].delivered, 250.0);
        assert!((totals.delivered_kwh - 250.0).abs() < 1e-9);
        assert!((totals.delivery_percent() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn missing_minutes_count_as_nothing_delivered() {
        let start = at("2025-03-10T16:00:00Z");
        let end = start + Duration::minutes(30);
        let baseline = minutes_from(start, 30, -300.0);
        let readings: HashMap<_, _> = readings_from(start, 30, -100.0)
            .into_iter()
            .filter(|(t, _)| *t > start + Duration::minutes(10))
            .collect();
        let (_, totals) = unit_performance(
            MeteringGranularity::PerMinute,
            200.0,
            1.0,
            start,
            end,
            &baseline,
            &readings,
        );
        assert_eq!(totals.missing(), 10);
        assert_eq!(format!("{:.1}", totals.completeness_percent()), "66.7");
        // 20 minutes × 200 kW = 66.67 kWh of the 100 kWh instructed.
        assert!((totals.delivered_kwh - 200.0 * 20.0 / 60.0).abs() < 1e-9);
    }

    #[test]
    fn money_rounds_as_on_paper() {
        assert_eq!(pennies(0.25 * 1.99), 0.5);
        assert_eq!(pennies(0.245_833_333 * 1.99), 0.49);
        assert_eq!(pennies(152.875), 152.88);
    }

    #[test]
    fn the_sliding_scale_pays_nothing_below_half_and_half_at_three_quarters() {
        assert_eq!(scale_factor(DeliveryScale::Sliding, 40.0), 0.0);
        assert_eq!(scale_factor(DeliveryScale::Sliding, 75.0), 0.5);
        assert_eq!(scale_factor(DeliveryScale::Sliding, 120.0), 1.0);
        assert_eq!(scale_factor(DeliveryScale::Flat, 40.0), 1.0);
    }

    #[test]
    fn half_hourly_units_compare_energy() {
        // 200 kW instructed for an hour: two half-hours, each capped at 100 kWh.
        let start = at("2025-03-10T16:00:00Z");
        let end = start + Duration::hours(1);
        let baseline: HashMap<_, _> = [(start, -500.0), (start + Duration::minutes(30), -500.0)]
            .into_iter()
            .collect();
        // Baseline −250 kWh per half-hour; readings −120 and −200 kWh: 130 (capped 100) and 50.
        let readings: HashMap<_, _> = [
            (start + Duration::minutes(30), -120.0),
            (start + Duration::minutes(60), -200.0),
        ]
        .into_iter()
        .collect();
        let (intervals, totals) = unit_performance(
            MeteringGranularity::HalfHourly,
            200.0,
            1.0,
            start,
            end,
            &baseline,
            &readings,
        );
        assert_eq!(intervals.len(), 2);
        assert_eq!(intervals[0].baseline, -250.0);
        assert_eq!(intervals[0].delivered, 100.0);
        assert_eq!(intervals[1].delivered, 50.0);
        assert_eq!(totals.delivered_kwh, 150.0);
        assert_eq!(totals.instructed_kwh, 200.0);
    }

    #[test]
    fn an_event_across_the_october_clock_change_counts_real_minutes() {
        // 00:30–02:30 London on 26 October 2025 is 23:30Z–01:30Z: 120 real minutes,
        // though the wall clock shows 01:00–02:00 twice.
        let start = at("2025-10-25T23:30:00Z");
        let end = at("2025-10-26T01:30:00Z");
        let baseline = minutes_from(start, 120, -100.0);
        let readings = readings_from(start, 120, 0.0);
        let (intervals, totals) = unit_performance(
            MeteringGranularity::PerMinute,
            100.0,
            1.0,
            start,
            end,
            &baseline,
            &readings,
        );
        assert_eq!(intervals.len(), 120);
        assert!((totals.instructed_kwh - 200.0).abs() < 1e-9);
        assert!((totals.delivered_kwh - 200.0).abs() < 1e-9);
    }

    #[test]
    fn earnings_apply_the_ceiling_the_scale_and_the_factor() {
        let price = prices::Model {
            id: 1,
            dispatch_group_id: 1,
            programme_id: 1,
            availability_price_pence: Some(1_500),
            utilisation_price_pence: Some(60_000),
            unit_ceiling_pence: Some(50_000),
            updated_at: at("2025-03-01T00:00:00Z"),
        };
        let totals = Totals {
            instructed_kwh: 400.0,
            delivered_kwh: 300.0,
            expected: 120,
            present: 120,
        };
        let e = earnings(&EarningsInput {
            totals,
            scale: DeliveryScale::Sliding,
            pays_availability: true,
            price: Some(price),
            window: Some((200.0, 3.0)),
            performance_factor: 0.9,
        });
        // 75 % delivery: half of 0.3 MWh × £500 (the ceiling, not £600) = £75.
        assert_eq!(e.utilisation_price_applied, 500.0);
        assert_eq!(e.scale_factor, 0.5);
        assert_eq!(e.utilisation_gbp, 75.0);
        // 0.2 MW × 3 h × £15 × 0.9 = £8.10.
        assert_eq!(e.availability_gbp, 8.1);
        assert_eq!(e.total_gbp, 83.1);
    }
}
