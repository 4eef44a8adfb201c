//! Demo data: the operator SSEN, its zones and programmes with the provider guide's example
//! prices, and two FSP companies. Seeding is idempotent: it does nothing when SSEN exists.

use crate::db::entities::{
    dispatch_groups, fsp_companies, marketplace_units, meterable_units, operator_companies,
    operators, prices, programmes, zones,
};
use crate::ids::new_public_id;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};
use shared::{BaselineMethod, Direction, MeteringGranularity, ProgrammeKind};

/// The guide's example meterable unit id, kept so its screenshots match the demo.
pub const API_TEST_UNIT_ID: &str = "LuHmGc49c30Hsb872q2d";

/// The demo's half-hourly unit (ATestDV MU), named in the developer portal's example
/// readings file.
pub const HALF_HOURLY_TEST_UNIT_ID: &str = "WnQ7c2TfK8pZx4RbD1sV";

/// Creates the demo data unless it exists. Returns whether anything was created.
pub async fn seed_demo(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let exists = operators::Entity::find()
        .filter(operators::Column::Name.eq("SSEN"))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let txn = db.begin().await?;
    Seeder { txn: &txn, now }.run().await?;
    txn.commit().await?;
    Ok(true)
}

/// (programme, auction) rows of a zone, in the order the guide lists them.
const PROGRAMMES: &[(ProgrammeKind, bool)] = &[
    (ProgrammeKind::Sustain, false),
    (ProgrammeKind::Secure, false),
    (ProgrammeKind::Secure, true),
    (ProgrammeKind::Dynamic, false),
    (ProgrammeKind::Dynamic, true),
    (ProgrammeKind::Restore, false),
    (ProgrammeKind::EmergencyFlex, false),
];

/// One price-table row: programme, auction, availability, utilisation, unit ceiling (£).
type PriceRow = (ProgrammeKind, bool, Option<f64>, Option<f64>, Option<f64>);

struct Seeder<'a> {
    txn: &'a DatabaseTransaction,
    now: DateTime<Utc>,
}

struct Group<'a> {
    zone: &'a zones::Model,
    company: &'a fsp_companies::Model,
    name: &'a str,
    power_change_kw: f64,
    direction: Direction,
    runtimes: (Option<i32>, Option<i32>, Option<i32>),
    marketplace_units: &'a [&'a str],
    prices: &'a [PriceRow],
}

impl Seeder<'_> {
    async fn run(&self) -> Result<(), DbErr> {
        let ssen = operators::ActiveModel {
            public_id: Set(new_public_id().to_string()),
            name: Set("SSEN".to_owned()),
            // The guide's own contact.
            support_name: Set(Some("Flexibility Services Operations".to_owned())),
            support_email: Set(Some("FlexibleServices@sse.com".to_owned())),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;

        let twilight = self
            .zone(&ssen, "twilight-zone", "Twilight Zone", true)
            .await?;
        let electralink = self
            .zone(&ssen, "electralink-zone-1", "Electralink Zone 1", false)
            .await?;
        let skye = self
            .zone(&ssen, "isle-of-skye", "Isle of Skye", false)
            .await?;

        // A second operator on the same deployment: its users see none of SSEN's data.
        let npg = operators::ActiveModel {
            public_id: Set(new_public_id().to_string()),
            name: Set("Northern Powergrid".to_owned()),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        let tyneside = self.zone(&npg, "tyneside", "Tyneside", false).await?;

        let twilight_flex = self
            .company(
                &ssen,
                "Twilight Flex Ltd",
                "12345678",
                Some("GB123456789"),
                "1 Demo Street\nPerth\nPH1 3AQ",
            )
            .await?;
        let other_flex = self
            // Registered by SSEN; it also has a group in Northern Powergrid's Tyneside, so
            // two operators share it.
            .company(
                &ssen,
                "Other Flex Ltd",
                "SC654321",
                Some("GB987654321"),
                "2 Harbour Road\nPortree\nIV51 9DN",
            )
            .await?;

        use ProgrammeKind::*;
        // The guide's "API Test" card (§3.3), ceilings included: Secure's and Dynamic
        // (auction)'s £1 sit below their own prices, so those rows carry a warning and
        // settlement pays at most £1/MWh there.
        let api_test = self
            .group(Group {
                zone: &twilight,
                company: &twilight_flex,
                name: "API Test",
                power_change_kw: 500.0,
                direction: Direction::TurnDown,
                runtimes: (Some(30), None, None),
                marketplace_units: &[],
                prices: &[
                    (Sustain, false, Some(95.55), Some(1.99), None),
                    (Secure, false, Some(6.56), Some(7.99), Some(1.0)),
                    (Dynamic, true, Some(4.55), Some(55.65), Some(1.0)),
                    (Restore, false, None, Some(3.99), None),
                ],
            })
            .await?;
        self.unit(
            &api_test,
            Some(API_TEST_UNIT_ID),
            "API Test MU",
            MeteringGranularity::PerMinute,
            BaselineMethod::None,
            None,
        )
        .await?;

        let atestdv = self
            .group(Group {
                zone: &twilight,
                company: &twilight_flex,
                name: "ATestDV",
                power_change_kw: 250.0,
                direction: Direction::TurnDown,
                runtimes: (Some(60), Some(120), Some(240)),
                marketplace_units: &["5VTest1"],
                prices: &[
                    (Sustain, false, Some(50.0), Some(4.0), None),
                    (Secure, false, Some(2.0), Some(4.0), None),
                    (Secure, true, None, None, Some(5.0)),
                    (Dynamic, false, Some(2.0), Some(4.0), None),
                    (Dynamic, true, None, None, Some(5.0)),
                    (Restore, false, Some(4.0), None, Some(5.0)),
                ],
            })
            .await?;
        self.unit(
            &atestdv,
            Some(HALF_HOURLY_TEST_UNIT_ID),
            "ATestDV MU",
            MeteringGranularity::HalfHourly,
            BaselineMethod::Static,
            Some(-120.0),
        )
        .await?;

        let kintore = self
            .group(Group {
                zone: &electralink,
                company: &twilight_flex,
                name: "Kintore Heat Pumps",
                power_change_kw: 180.0,
                direction: Direction::TurnDown,
                runtimes: (Some(30), Some(240), Some(900)),
                marketplace_units: &["EC-KHP-001"],
                prices: &[
                    (Sustain, false, Some(12.5), Some(250.0), Some(300.0)),
                    (Secure, false, Some(8.0), Some(180.0), Some(300.0)),
                ],
            })
            .await?;
        self.unit(
            &kintore,
            None,
            "Kintore Heat Pumps MU",
            MeteringGranularity::PerMinute,
            BaselineMethod::Static,
            Some(-350.0),
        )
        .await?;

        let skye_battery = self
            .group(Group {
                zone: &skye,
                company: &other_flex,
                name: "Portree Battery",
                power_change_kw: 1000.0,
                direction: Direction::TurnDown,
                runtimes: (Some(30), Some(120), Some(600)),
                marketplace_units: &["EC-PB-7"],
                prices: &[
                    (Secure, false, Some(10.0), Some(300.0), Some(400.0)),
                    (Dynamic, false, Some(3.5), Some(320.0), Some(400.0)),
                ],
            })
            .await?;
        self.unit(
            &skye_battery,
            None,
            "Portree Battery MU",
            MeteringGranularity::PerMinute,
            BaselineMethod::Static,
            Some(0.0),
        )
        .await?;
        self.unit(
            &skye_battery,
            None,
            "Portree Battery MU 2",
            MeteringGranularity::HalfHourly,
            BaselineMethod::Automatic,
            Some(0.0),
        )
        .await?;

        let gateshead = self
            .group(Group {
                zone: &tyneside,
                company: &other_flex,
                name: "Gateshead Cold Store",
                power_change_kw: 400.0,
                direction: Direction::TurnDown,
                runtimes: (Some(30), Some(180), Some(720)),
                marketplace_units: &[],
                prices: &[(Sustain, false, Some(9.0), Some(210.0), Some(300.0))],
            })
            .await?;
        self.unit(
            &gateshead,
            None,
            "Gateshead Cold Store MU",
            MeteringGranularity::PerMinute,
            BaselineMethod::Static,
            Some(-600.0),
        )
        .await?;
        Ok(())
    }

    async fn zone(
        &self,
        operator: &operators::Model,
        slug: &str,
        name: &str,
        sandbox: bool,
    ) -> Result<zones::Model, DbErr> {
        let zone = zones::ActiveModel {
            slug: Set(slug.to_owned()),
            operator_id: Set(operator.id),
            name: Set(name.to_owned()),
            sandbox: Set(sandbox),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        for (kind, auction) in PROGRAMMES {
            let name = if *auction {
                format!("{} (auction)", kind.label())
            } else {
                kind.label().to_owned()
            };
            programmes::ActiveModel {
                public_id: Set(new_public_id().to_string()),
                zone_id: Set(zone.id),
                kind: Set(kind.as_str().to_owned()),
                auction: Set(*auction),
                name: Set(name),
                product_code: Set(kind.product_code().map(|c| c.as_str().to_owned())),
                created_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
        }
        Ok(zone)
    }

    /// An FSP company, registered by `registrar` (the operator that manages its users).
    async fn company(
        &self,
        registrar: &operators::Model,
        name: &str,
        companies_house_number: &str,
        vat_number: Option<&str>,
        billing_address: &str,
    ) -> Result<fsp_companies::Model, DbErr> {
        let company = fsp_companies::ActiveModel {
            public_id: Set(new_public_id().to_string()),
            name: Set(name.to_owned()),
            companies_house_number: Set(companies_house_number.to_owned()),
            vat_number: Set(vat_number.map(str::to_owned)),
            billing_address: Set(billing_address.to_owned()),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        operator_companies::ActiveModel {
            operator_id: Set(registrar.id),
            company_id: Set(company.id),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        Ok(company)
    }

    async fn group(&self, g: Group<'_>) -> Result<dispatch_groups::Model, DbErr> {
        let group = dispatch_groups::ActiveModel {
            public_id: Set(new_public_id().to_string()),
            zone_id: Set(g.zone.id),
            company_id: Set(g.company.id),
            name: Set(g.name.to_owned()),
            power_change_kw: Set(g.power_change_kw),
            direction: Set(g.direction.as_str().to_owned()),
            min_runtime_minutes: Set(g.runtimes.0),
            max_runtime_minutes: Set(g.runtimes.1),
            weekly_runtime_minutes: Set(g.runtimes.2),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        for reference in g.marketplace_units {
            marketplace_units::ActiveModel {
                dispatch_group_id: Set(group.id),
                marketplace: Set("ElectronConnect".to_owned()),
                reference: Set((*reference).to_owned()),
                created_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
        }
        let zone_programmes = programmes::Entity::find()
            .filter(programmes::Column::ZoneId.eq(g.zone.id))
            .all(self.txn)
            .await?;
        for (kind, auction, availability, utilisation, ceiling) in g.prices {
            let programme = zone_programmes
                .iter()
                .find(|p| p.kind == kind.as_str() && p.auction == *auction)
                .ok_or_else(|| DbErr::RecordNotFound(format!("programme {kind:?}")))?;
            let pence = |pounds: &Option<f64>| pounds.map(|p| (p * 100.0).round() as i64);
            prices::ActiveModel {
                dispatch_group_id: Set(group.id),
                programme_id: Set(programme.id),
                availability_price_pence: Set(pence(availability)),
                utilisation_price_pence: Set(pence(utilisation)),
                unit_ceiling_pence: Set(pence(ceiling)),
                updated_at: Set(self.now),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
        }
        Ok(group)
    }

    async fn unit(
        &self,
        group: &dispatch_groups::Model,
        public_id: Option<&str>,
        name: &str,
        granularity: MeteringGranularity,
        baseline: BaselineMethod,
        static_kw: Option<f64>,
    ) -> Result<(), DbErr> {
        meterable_units::ActiveModel {
            public_id: Set(public_id.map_or_else(|| new_public_id().to_string(), str::to_owned)),
            dispatch_group_id: Set(group.id),
            name: Set(name.to_owned()),
            metering_granularity: Set(granularity.as_str().to_owned()),
            baseline_method: Set(baseline.as_str().to_owned()),
            baseline_static_kw: Set(static_kw),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        Ok(())
    }
}

/// A dev-mode sign-in that `./dev run` prints, so a newcomer can sign in with an
/// authenticator app or `oathtool --totp -b SECRET`. Never created outside dev mode.
pub struct DemoLogin {
    pub role: shared::Role,
    pub organisation: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub totp_secret: &'static str,
}

pub const DEMO_LOGINS: [DemoLogin; 2] = [
    DemoLogin {
        role: shared::Role::Operator,
        organisation: "SSEN",
        name: "Olivia Operator",
        email: "operator@ssen.example",
        password: "demo operator passphrase",
        totp_secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    },
    DemoLogin {
        role: shared::Role::Participant,
        organisation: "Twilight Flex Ltd",
        name: "Fiona Flex",
        email: "fsp@twilight.example",
        password: "demo participant passphrase",
        totp_secret: "KRUGS4ZANFZSAYJAMRSW23ZAONSWG4TF",
    },
];

/// Creates the demo sign-ins that do not exist yet (dev mode only).
pub async fn ensure_demo_users(
    db: &DatabaseConnection,
    secrets: &crate::crypto::SecretBox,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::db::entities::users;
    let custom = |e: &dyn std::fmt::Display| DbErr::Custom(e.to_string());
    for login in &DEMO_LOGINS {
        let exists = users::Entity::find()
            .filter(users::Column::Email.eq(login.email))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let (company_id, operator_id, role) = match login.role {
            shared::Role::Operator => {
                let op = operators::Entity::find()
                    .filter(operators::Column::Name.eq(login.organisation))
                    .one(db)
                    .await?
                    .ok_or_else(|| DbErr::RecordNotFound(login.organisation.to_owned()))?;
                (None, Some(op.id), "operator")
            }
            _ => {
                let company = fsp_companies::Entity::find()
                    .filter(fsp_companies::Column::Name.eq(login.organisation))
                    .one(db)
                    .await?
                    .ok_or_else(|| DbErr::RecordNotFound(login.organisation.to_owned()))?;
                (Some(company.id), None, "participant")
            }
        };
        let secret = totp_rs::Secret::try_from_base32(login.totp_secret).map_err(|e| custom(&e))?;
        let sealed = secrets.seal(secret.as_bytes()).map_err(|e| custom(&e))?;
        let hash = crate::crypto::hash_password(login.password.to_owned())
            .await
            .map_err(|e| custom(&e))?;
        let user = users::ActiveModel {
            public_id: Set(new_public_id().to_string()),
            email: Set(login.email.to_owned()),
            name: Set(login.name.to_owned()),
            role: Set(role.to_owned()),
            company_id: Set(company_id),
            operator_id: Set(operator_id),
            password_hash: Set(Some(hash)),
            password_changed_at: Set(Some(now)),
            totp_secret_enc: Set(Some(sealed)),
            totp_enabled: Set(true),
            totp_last_step: Set(None),
            failed_second_factor: Set(0),
            second_factor_locked_until: Set(None),
            disabled_at: Set(None),
            pref_monthly_invoices: Set(false),
            pref_weekly_declarations: Set(false),
            pref_daily_schedules: Set(false),
            created_at: Set(now),
            ..Default::default()
        };
        // Several servers starting on one database at once each try: the first wins.
        users::Entity::insert(user)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(users::Column::Email)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A fresh API token for the demo FSP company, issued as its demo user (dev mode only), so
/// the Readings page's example curl works at once. The previous demo token stops working.
pub async fn demo_api_token(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<String> {
    use crate::db::entities::users;
    use crate::services::{Actor, api_tokens};
    let login = DEMO_LOGINS
        .iter()
        .find(|l| l.role == shared::Role::Participant)
        .ok_or_else(|| anyhow::anyhow!("no demo FSP sign-in"))?;
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(login.email))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {} missing", login.email))?;
    let company = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Name.eq(login.organisation))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo company {} missing", login.organisation))?;
    let actor = Actor::Participant {
        user_id: Some(user.id),
        user_name: user.name,
        company_id: company.id,
        company_name: company.name,
    };
    Ok(api_tokens::create(db, &actor, now)
        .await
        .map_err(|e| anyhow::anyhow!("creating the demo API token: {e}"))?
        .token)
}
