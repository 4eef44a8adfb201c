use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "baseline_profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub meterable_unit_id: i32,
    pub source: String,
    pub slot_minutes: i32,
    pub kw_values: Option<String>,
    pub month: Option<Date>,
    pub days_of_data: Option<i32>,
    pub updated_at: DateTimeUtc,
    /// A nominated template's name, as uploaded.
    pub name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
