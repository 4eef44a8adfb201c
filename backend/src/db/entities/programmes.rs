use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programmes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub public_id: String,
    pub zone_id: i32,
    pub kind: String,
    pub auction: bool,
    pub name: String,
    pub product_code: Option<String>,
    pub created_at: DateTimeUtc,
    /// JSON `ProgrammePolicy`; none means the defaults of `kind`.
    pub policy: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
