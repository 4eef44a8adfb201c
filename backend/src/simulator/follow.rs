//! Following a dispatch as a unit that responds at a set ratio would: from its START until
//! its STOP (or EMERGENCY_STOP, or CANCEL), each metering interval that ends is sent as a
//! reading of the unit's baseline plus its share of the instruction times the ratio.

use super::client::Api;
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use shared::webhooks::Start;
use shared::{Direction, MeteringGranularity, ReadingInput};
use std::collections::HashMap;
use tokio::sync::watch;

/// One unit's part of a dispatch.
#[derive(Debug, Clone)]
pub struct UnitPlan {
    pub id: String,
    pub granularity: MeteringGranularity,
    /// kW by interval start.
    pub baseline: HashMap<DateTime<Utc>, f64>,
    /// The unit's share of the instruction, signed as net export changes (+ for turn-down).
    pub change_kw: f64,
}

fn step(granularity: MeteringGranularity) -> Duration {
    match granularity {
        MeteringGranularity::PerMinute => Duration::minutes(1),
        MeteringGranularity::HalfHourly => Duration::minutes(30),
    }
}

impl UnitPlan {
    /// The ends of the unit's metering intervals in `(start, end]`, on its own grid
    /// (whole minutes, or :00 and :30).
    pub fn interval_ends(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let step = step(self.granularity);
        let seconds = step.num_seconds();
        let first = start.timestamp().div_euclid(seconds) * seconds + seconds;
        let mut ends = Vec::new();
        let mut at = DateTime::from_timestamp(first, 0).unwrap_or(start);
        while at <= end {
            ends.push(at);
            at += step;
        }
        ends
    }

    /// What the unit, following at `ratio`, reads for the interval ending at `end`: the
    /// baseline plus the response, as power (kW) or as energy over a half-hour (kWh).
    pub fn reading(&self, end: DateTime<Utc>, ratio: f64) -> ReadingInput {
        let step = step(self.granularity);
        let baseline = self.baseline.get(&(end - step)).copied().unwrap_or(0.0);
        let kw = baseline + self.change_kw * ratio;
        let timestamp = end.to_rfc3339_opts(SecondsFormat::Secs, true);
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        match self.granularity {
            MeteringGranularity::PerMinute => ReadingInput {
                meterable_unit_id: self.id.clone(),
                timestamp,
                power_kw: Some(round(kw)),
                energy_kwh: None,
            },
            MeteringGranularity::HalfHourly => ReadingInput {
                meterable_unit_id: self.id.clone(),
                timestamp,
                power_kw: None,
                energy_kwh: Some(round(kw * step.num_minutes() as f64 / 60.0)),
            },
        }
    }
}

/// Looks up what following `start` needs: each unit's granularity and baseline, and its
/// equal share of the instruction in the group's direction.
pub async fn plan(api: &Api, start: &Start) -> Result<Vec<UnitPlan>> {
    let group = api
        .dispatch_group(&start.dispatch_group.id)
        .await
        .context("the dispatch group")?;
    let sign = match group.direction {
        Direction::TurnDown => 1.0,
        Direction::TurnUp => -1.0,
    };
    let share = start.power_change_kw / start.meterable_unit_ids.len().max(1) as f64;
    let mut plans = Vec::new();
    for id in &start.meterable_unit_ids {
        let unit = api.meterable_unit(id).await.context("the meterable unit")?;
        let baseline = api
            .baseline(id, start.start, start.end)
            .await
            .context("the baseline")?
            .into_iter()
            .map(|p| (p.start, p.kw))
            .collect();
        plans.push(UnitPlan {
            id: id.clone(),
            granularity: unit.metering_granularity,
            baseline,
            change_kw: sign * share,
        });
    }
    Ok(plans)
}

/// Sends each unit's readings as its intervals end, until the dispatch ends or `stop`
/// (the time a STOP, EMERGENCY_STOP or CANCEL took effect) says it ended earlier. Returns
/// the readings stored.
pub async fn follow(
    api: &Api,
    start: &Start,
    plans: &[UnitPlan],
    ratio: f64,
    mut stop: watch::Receiver<Option<DateTime<Utc>>>,
) -> usize {
    let mut timeline: Vec<(DateTime<Utc>, &UnitPlan)> = plans
        .iter()
        .flat_map(|p| {
            p.interval_ends(start.start, start.end)
                .into_iter()
                .map(move |t| (t, p))
        })
        .collect();
    timeline.sort_by_key(|(t, _)| *t);
    let mut sent = 0;
    let mut index = 0;
    while index < timeline.len() {
        let due = timeline[index].0;
        // A reading is sent a second after its interval ends, as a meter's would be.
        loop {
            let stopped = *stop.borrow();
            if stopped.is_some_and(|s| due > s) {
                return sent;
            }
            let wait = (due + Duration::seconds(1) - Utc::now())
                .to_std()
                .unwrap_or_default();
            if wait.is_zero() {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = stop.changed() => {
                    if changed.is_err() {
                        // Nobody can stop it any more: run to the dispatch's end.
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
        let mut batch = Vec::new();
        while index < timeline.len() && timeline[index].0 == due {
            batch.push(timeline[index].1.reading(due, ratio));
            index += 1;
        }
        let described: Vec<String> = batch
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r.meterable_unit_id,
                    r.timestamp,
                    r.power_kw.map_or_else(
                        || format!("{:.3} kWh", r.energy_kwh.unwrap_or_default()),
                        |kw| format!("{kw:.3} kW")
                    )
                )
            })
            .collect();
        let count = batch.len();
        let key = format!("{}-{}", start.dispatch_id, due.timestamp());
        match api.post_readings(batch, &key).await {
            Ok(summary) => {
                sent += count;
                println!(
                    "POST /api/v2/readings {} -> {} accepted",
                    described.join(", "),
                    summary.accepted
                );
            }
            Err(e) => println!(
                "POST /api/v2/readings {} failed: {e:#}",
                described.join(", ")
            ),
        }
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn plan(granularity: MeteringGranularity, baseline_kw: f64) -> UnitPlan {
        let start = at("2025-02-24T16:00:00Z");
        UnitPlan {
            id: "U".to_owned(),
            granularity,
            baseline: (0..120)
                .map(|m| (start + Duration::minutes(m), baseline_kw))
                .collect(),
            change_kw: 100.0,
        }
    }

    #[test]
    fn a_per_minute_unit_reads_its_baseline_plus_the_ratio_of_its_share() {
        let p = plan(MeteringGranularity::PerMinute, -400.0);
        let ends = p.interval_ends(at("2025-02-24T16:00:00Z"), at("2025-02-24T16:03:00Z"));
        assert_eq!(
            ends,
            vec![
                at("2025-02-24T16:01:00Z"),
                at("2025-02-24T16:02:00Z"),
                at("2025-02-24T16:03:00Z")
            ]
        );
        let r = p.reading(ends[0], 0.95);
        assert_eq!(r.timestamp, "2025-02-24T16:01:00Z");
        assert_eq!(r.power_kw, Some(-305.0));
        assert_eq!(r.energy_kwh, None);
    }

    #[test]
    fn a_half_hourly_unit_reads_energy_on_its_own_grid() {
        let p = plan(MeteringGranularity::HalfHourly, -120.0);
        let ends = p.interval_ends(at("2025-02-24T16:10:00Z"), at("2025-02-24T17:00:00Z"));
        assert_eq!(
            ends,
            vec![at("2025-02-24T16:30:00Z"), at("2025-02-24T17:00:00Z")]
        );
        // (−120 + 0.5 × 100) kW over half an hour.
        assert_eq!(p.reading(ends[1], 0.5).energy_kwh, Some(-35.0));
    }
}
