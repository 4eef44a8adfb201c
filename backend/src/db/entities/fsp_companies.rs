use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fsp_companies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub public_id: String,
    pub name: String,
    pub companies_house_number: String,
    pub vat_number: Option<String>,
    pub billing_address: String,
    pub created_at: DateTimeUtc,
    /// The `shared::DeliveryChannel`s the operator permits, comma separated.
    pub permitted_delivery: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
