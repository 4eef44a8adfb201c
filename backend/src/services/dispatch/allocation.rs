//! Fair allocation: when accepted availability in a zone exceeds a requirement (kW over a
//! window), spread the requirement across the groups accepted for the whole window so that
//! the largest share any group runs is as small as possible (minimax, by water-filling).
//! The operator reviews the result and confirms each line as a dispatch.

use crate::db::entities::{availability_windows, dispatch_groups, programmes, zones};
use crate::services::{Actor, ServiceError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use shared::{Allocation, AllocationLine, DeclarationStatus, PublicId};
use std::collections::HashMap;

/// Shares of `requirement` for groups that can run at most `caps`: every group gets the
/// same level, except groups that cannot reach it, which run their cap. The largest share
/// is the smallest any split can give.
pub fn minimax(requirement: f64, caps: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..caps.len()).collect();
    order.sort_by(|a, b| caps[*a].total_cmp(&caps[*b]));
    let mut shares = vec![0.0; caps.len()];
    let mut remaining = requirement.max(0.0);
    for (position, &i) in order.iter().enumerate() {
        let left = (caps.len() - position) as f64;
        let level = remaining / left;
        let share = caps[i].max(0.0).min(level);
        shares[i] = share;
        remaining -= share;
    }
    shares
}

/// Proposes shares of `requirement_kw` over `[start, end)` in a programme of one of the
/// caller's zones (operators).
pub async fn propose(
    db: &DatabaseConnection,
    actor: &Actor,
    programme_id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    requirement_kw: f64,
) -> Result<Allocation, ServiceError> {
    let Actor::Operator { operator_id, .. } = actor else {
        return Err(ServiceError::Forbidden(
            "allocations are made by the operator".to_owned(),
        ));
    };
    if end <= start {
        return Err(ServiceError::invalid("end", "must be after the start"));
    }
    if !requirement_kw.is_finite() || requirement_kw <= 0.0 {
        return Err(ServiceError::invalid(
            "requirement_kw",
            "must be more than zero",
        ));
    }
    let programme = programmes::Entity::find()
        .filter(programmes::Column::PublicId.eq(programme_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("programme"))?;
    zones::Entity::find_by_id(programme.zone_id)
        .filter(zones::Column::OperatorId.eq(*operator_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("programme"))?;
    let windows = availability_windows::Entity::find()
        .filter(availability_windows::Column::ProgrammeId.eq(programme.id))
        .filter(availability_windows::Column::Status.eq(DeclarationStatus::Accepted.as_str()))
        .filter(availability_windows::Column::AcceptanceStart.lte(start))
        .filter(availability_windows::Column::AcceptanceEnd.gte(end))
        .all(db)
        .await?;
    let groups: HashMap<i32, dispatch_groups::Model> = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::Id.is_in(windows.iter().map(|w| w.dispatch_group_id)))
        .filter(dispatch_groups::Column::RetiredAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    // One window per group: its largest accepted kW over the whole period.
    let mut best: HashMap<i32, &availability_windows::Model> = HashMap::new();
    for w in windows
        .iter()
        .filter(|w| groups.contains_key(&w.dispatch_group_id))
    {
        let entry = best.entry(w.dispatch_group_id).or_insert(w);
        if w.accepted_kw > entry.accepted_kw {
            *entry = w;
        }
    }
    let mut chosen: Vec<&availability_windows::Model> = best.into_values().collect();
    chosen.sort_by(|a, b| {
        let name = |w: &availability_windows::Model| {
            groups.get(&w.dispatch_group_id).map(|g| g.name.clone())
        };
        name(a).cmp(&name(b))
    });
    let caps: Vec<f64> = chosen
        .iter()
        .map(|w| w.accepted_kw.unwrap_or(0.0))
        .collect();
    let shares = minimax(requirement_kw, &caps);
    let allocated: f64 = shares.iter().sum();
    let lines = chosen
        .iter()
        .zip(shares)
        .filter(|(_, share)| *share > 0.0)
        .map(|(w, share)| {
            let group = groups
                .get(&w.dispatch_group_id)
                .ok_or(ServiceError::NotFound("dispatch group"))?;
            let id = |s: &str| PublicId::parse(s).map_err(|_| ServiceError::NotFound("public id"));
            Ok(AllocationLine {
                dispatch_group_id: id(&group.public_id)?,
                dispatch_group: group.name.clone(),
                availability_window_id: id(&w.public_id)?,
                accepted_kw: w.accepted_kw.unwrap_or(0.0),
                allocated_kw: share,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(Allocation {
        requirement_kw,
        allocated_kw: allocated,
        shortfall_kw: (requirement_kw - allocated).max(0.0),
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::minimax;

    #[test]
    fn shares_are_level_except_where_a_group_cannot_reach_the_level() {
        assert_eq!(
            minimax(900.0, &[500.0, 500.0, 500.0]),
            [300.0, 300.0, 300.0]
        );
        // 100 can give only 100; the other two share the remaining 800.
        assert_eq!(
            minimax(900.0, &[100.0, 500.0, 600.0]),
            [100.0, 400.0, 400.0]
        );
        // Not enough: everyone runs its cap.
        assert_eq!(minimax(2000.0, &[100.0, 500.0]), [100.0, 500.0]);
        assert!(minimax(10.0, &[]).is_empty());
    }
}
