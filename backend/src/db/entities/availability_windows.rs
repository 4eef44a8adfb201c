use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "availability_windows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub public_id: String,
    pub dispatch_group_id: i32,
    pub programme_id: i32,
    pub week_commencing: Date,
    pub day: Date,
    pub start_local: String,
    pub end_local: String,
    pub start_at: DateTimeUtc,
    pub end_at: DateTimeUtc,
    pub declared_kw: f64,
    pub status: String,
    pub accepted_kw: Option<f64>,
    pub acceptance_start: Option<DateTimeUtc>,
    pub acceptance_end: Option<DateTimeUtc>,
    pub created_by_user_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub decided_by_user_id: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    /// `shared::DecidedBy`; none while undecided.
    pub decided_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
