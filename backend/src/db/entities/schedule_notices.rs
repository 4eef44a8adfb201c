use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "schedule_notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub programme_id: i32,
    pub kind: String,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub messages: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
