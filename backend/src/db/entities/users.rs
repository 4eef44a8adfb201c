use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub company_id: Option<i32>,
    pub operator_id: Option<i32>,
    pub password_hash: Option<String>,
    pub password_changed_at: Option<DateTimeUtc>,
    pub totp_secret_enc: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub failed_second_factor: i32,
    pub second_factor_locked_until: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub pref_monthly_invoices: bool,
    pub pref_weekly_declarations: bool,
    pub pref_daily_schedules: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
