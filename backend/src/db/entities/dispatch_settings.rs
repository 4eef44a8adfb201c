use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatch_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub company_id: i32,
    pub endpoint_url: Option<String>,
    pub secret_enc: Option<String>,
    pub secret_hint: Option<String>,
    pub secret_created_at: Option<DateTimeUtc>,
    pub delivery: String,
    pub updated_at: DateTimeUtc,
    pub email_contacts: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
