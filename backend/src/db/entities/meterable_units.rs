use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meterable_units")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub public_id: String,
    pub dispatch_group_id: i32,
    pub name: String,
    pub metering_granularity: String,
    pub baseline_method: String,
    pub baseline_static_kw: Option<f64>,
    pub created_at: DateTimeUtc,
    /// Set when retired: no longer listed, declared, dispatched or sent readings.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
