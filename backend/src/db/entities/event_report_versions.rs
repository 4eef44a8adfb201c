use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_report_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub dispatch_event_id: i32,
    pub company_id: i32,
    pub zone_id: i32,
    pub month: String,
    pub version: i32,
    pub issued_at: DateTimeUtc,
    /// The report as served (JSON, every interval), frozen.
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
