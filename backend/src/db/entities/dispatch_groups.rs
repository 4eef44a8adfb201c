use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatch_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub public_id: String,
    pub zone_id: i32,
    pub company_id: i32,
    pub name: String,
    pub power_change_kw: f64,
    pub direction: String,
    pub min_runtime_minutes: Option<i32>,
    pub max_runtime_minutes: Option<i32>,
    pub weekly_runtime_minutes: Option<i32>,
    pub created_at: DateTimeUtc,
    /// Set when retired: no longer listed, declared, dispatched or sent readings.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
