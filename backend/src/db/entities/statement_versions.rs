use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "statement_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub company_id: i32,
    pub zone_id: i32,
    pub month: String,
    pub version: i32,
    pub reason: Option<String>,
    pub issued_at: DateTimeUtc,
    pub issued_by_user_id: Option<i32>,
    /// The statement as served (JSON), frozen.
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
