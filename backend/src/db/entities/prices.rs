use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub dispatch_group_id: i32,
    pub programme_id: i32,
    pub availability_price_pence: Option<i64>,
    pub utilisation_price_pence: Option<i64>,
    pub unit_ceiling_pence: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
