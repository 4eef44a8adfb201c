use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatch_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub public_id: String,
    pub dispatch_group_id: i32,
    pub programme_id: i32,
    pub availability_window_id: Option<i32>,
    pub start_at: DateTimeUtc,
    pub end_at: DateTimeUtc,
    pub power_change_kw: f64,
    pub status: String,
    pub stopped_at: Option<DateTimeUtc>,
    pub created_by_user_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
