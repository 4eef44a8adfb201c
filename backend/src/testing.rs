//! Throw-away databases for tests, end-to-end runs and benchmarks: a fresh SQLite file or a
//! fresh PostgreSQL database, removed when the value is dropped (even after a panic).

use crate::db;
use crate::db::entities::{
    dispatch_groups, fsp_companies, meterable_units, prices, programmes, zones,
};
use crate::ids::new_public_id;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::path::PathBuf;

/// The PostgreSQL server tests use unless `OPENFLEX_TEST_POSTGRES_URL` names another.
pub const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub const BOTH: [Engine; 2] = [Engine::Sqlite, Engine::Postgres];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

pub struct TempDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDb { admin_url: String, name: String },
}

impl TempDatabase {
    /// Creates an empty database. A PostgreSQL that cannot be reached is an error: callers
    /// must fail, never skip.
    pub async fn create(engine: Engine) -> Result<Self, DbErr> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        match engine {
            Engine::Sqlite => {
                let path = std::env::temp_dir().join(format!("openflex-{tag}.db"));
                Ok(Self {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                })
            }
            Engine::Postgres => {
                let admin_url = std::env::var("OPENFLEX_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
                let name = format!("openflex_tmp_{tag}");
                let admin = db::connect(&admin_url).await.map_err(|e| {
                    DbErr::Custom(format!(
                        "PostgreSQL is required at {}: {e}",
                        crate::config::redact_url(&admin_url)
                    ))
                })?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                admin.close().await?;
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(base, _)| base);
                Ok(Self {
                    url: format!("{base}/{name}"),
                    cleanup: Cleanup::PostgresDb { admin_url, name },
                })
            }
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDb { admin_url, name } => {
                let (admin_url, db_name) = (admin_url.clone(), name.clone());
                // Drop may run inside an async runtime; a separate thread owns a new one.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| DbErr::Custom(e.to_string()))?;
                    runtime.block_on(async {
                        let admin = db::connect(&admin_url).await?;
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"
                            ))
                            .await?;
                        admin.close().await
                    })
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("could not drop temporary database {name}");
                }
            }
        }
    }
}

/// Adds zone `slug` for the seeded company "Twilight Flex Ltd" with `groups` dispatch
/// groups, each with one meterable unit and a price in each of four programmes.
pub async fn add_priced_zone(
    conn: &sea_orm::DatabaseConnection,
    slug: &str,
    groups: usize,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let twilight = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Name.eq("Twilight Flex Ltd"))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("seeded company".to_owned()))?;
    let template = zones::Entity::find()
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("a seeded zone".to_owned()))?;
    let zone = zones::Entity::insert(zones::ActiveModel {
        slug: Set(slug.to_owned()),
        operator_id: Set(template.operator_id),
        name: Set(slug.to_owned()),
        sandbox: Set(false),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await?
    .last_insert_id;
    let kinds = ["sustain", "secure", "dynamic", "restore"];
    programmes::Entity::insert_many(kinds.iter().map(|k| programmes::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        zone_id: Set(zone),
        kind: Set((*k).to_owned()),
        auction: Set(false),
        name: Set((*k).to_owned()),
        product_code: Set(None),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(conn)
    .await?;
    let programme_ids: Vec<i32> = programmes::Entity::find()
        .filter(programmes::Column::ZoneId.eq(zone))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    dispatch_groups::Entity::insert_many((0..groups).map(|i| dispatch_groups::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        zone_id: Set(zone),
        company_id: Set(twilight.id),
        name: Set(format!("Bench group {i:04}")),
        power_change_kw: Set(100.0),
        direction: Set("turn_down".to_owned()),
        min_runtime_minutes: Set(Some(30)),
        max_runtime_minutes: Set(None),
        weekly_runtime_minutes: Set(None),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(conn)
    .await?;
    let group_ids: Vec<i32> = dispatch_groups::Entity::find()
        .filter(dispatch_groups::Column::ZoneId.eq(zone))
        .all(conn)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    meterable_units::Entity::insert_many(group_ids.iter().map(|g| meterable_units::ActiveModel {
        public_id: Set(new_public_id().to_string()),
        dispatch_group_id: Set(*g),
        name: Set(format!("Bench unit {g}")),
        metering_granularity: Set("per_minute".to_owned()),
        baseline_method: Set("static".to_owned()),
        baseline_static_kw: Set(Some(-50.0)),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec(conn)
    .await?;
    let rows: Vec<prices::ActiveModel> = group_ids
        .iter()
        .flat_map(|g| programme_ids.iter().map(move |p| (*g, *p)))
        .map(|(g, p)| prices::ActiveModel {
            dispatch_group_id: Set(g),
            programme_id: Set(p),
            availability_price_pence: Set(Some(955)),
            utilisation_price_pence: Set(Some(199)),
            unit_ceiling_pence: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        prices::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// A real SMTP server on 127.0.0.1 for tests: accepts every message and keeps its raw text.
pub struct SmtpSink {
    pub port: u16,
    messages: std::sync::Arc<tokio::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> std::io::Result<Self> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let messages = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
        let store = messages.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 openflex-test ESMTP\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                store.lock().await.push(std::mem::take(body));
                                data = None;
                                let _ = write.write_all(b"250 queued\r\n").await;
                            } else {
                                body.push_str(line.strip_prefix('.').unwrap_or(&line));
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-openflex-test\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 end with .\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        Ok(Self {
            port,
            messages,
            task,
        })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as raw RFC 5322 text.
    pub async fn messages(&self) -> Vec<String> {
        self.messages.lock().await.clone()
    }

    /// The messages once at least `count` have arrived (mail sent after a request has
    /// answered, such as a password reset's); panics after 10 s without them.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let messages = self.messages().await;
            if messages.len() >= count {
                return messages;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} of {count} e-mails arrived within 10 s",
                messages.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Points Twilight Flex Ltd's dispatch endpoint at `endpoints[0]` and one more company's
/// at each further endpoint (all signing with a fixed secret sealed under `secrets`), then
/// queues `count` START messages `msg_{tag}_{n}` due at `due`, shared round-robin among the
/// companies: the outbox tests and the dispatch benchmark start from this.
pub async fn queue_due_messages(
    conn: &sea_orm::DatabaseConnection,
    secrets: &crate::crypto::SecretBox,
    endpoints: &[&str],
    tag: &str,
    count: usize,
    due: DateTime<Utc>,
) -> Result<(), DbErr> {
    use crate::db::entities::{dispatch_messages, dispatch_settings};
    let twilight = fsp_companies::Entity::find()
        .filter(fsp_companies::Column::Name.eq("Twilight Flex Ltd"))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("seeded company".to_owned()))?;
    let sealed = secrets
        .seal(b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut companies = Vec::with_capacity(endpoints.len());
    for (n, endpoint) in endpoints.iter().enumerate() {
        let company_id = if n == 0 {
            twilight.id
        } else {
            fsp_companies::Entity::insert(fsp_companies::ActiveModel {
                public_id: Set(crate::ids::new_public_id().to_string()),
                name: Set(format!("Receiver {n} Ltd")),
                companies_house_number: Set(format!("{n:08}")),
                vat_number: Set(None),
                billing_address: Set("1 Test Street".to_owned()),
                created_at: Set(due),
                ..Default::default()
            })
            .exec(conn)
            .await?
            .last_insert_id
        };
        dispatch_settings::Entity::insert(dispatch_settings::ActiveModel {
            company_id: Set(company_id),
            endpoint_url: Set(Some((*endpoint).to_owned())),
            secret_enc: Set(Some(sealed.clone())),
            secret_hint: Set(None),
            secret_created_at: Set(Some(due)),
            delivery: Set("api".to_owned()),
            updated_at: Set(due),
            email_contacts: Set(None),
            ..Default::default()
        })
        .exec(conn)
        .await?;
        companies.push(company_id);
    }
    let rows: Vec<dispatch_messages::ActiveModel> = (0..count)
        .map(|i| {
            let id = format!("msg_{tag}_{i:06}");
            dispatch_messages::ActiveModel {
                payload: Set(start_payload(&id, due)),
                message_id: Set(id),
                company_id: Set(companies[i % companies.len()]),
                dispatch_event_id: Set(None),
                instruction: Set("START".to_owned()),
                due_at: Set(due),
                deadline: Set(due + chrono::Duration::hours(1)),
                status: Set("pending".to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(due),
                lease_until: Set(None),
                lease_owner: Set(None),
                delivered_at: Set(None),
                last_error: Set(None),
                created_at: Set(due),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(1000) {
        dispatch_messages::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The body of a START (as `shared::webhooks` defines it) for the queued test messages.
fn start_payload(message_id: &str, due: DateTime<Utc>) -> String {
    use shared::webhooks::{DispatchFields, Message, Named};
    let message = Message::dispatch(
        shared::Instruction::Start,
        DispatchFields {
            message_id: message_id.to_owned(),
            test: false,
            dispatch_id: format!("DSP-{message_id}"),
            zone: Named {
                id: "bench-zone".to_owned(),
                name: "Bench zone".to_owned(),
            },
            programme: Some("Sustain".to_owned()),
            dispatch_group: Named {
                id: "DG-BENCH".to_owned(),
                name: "Bench group".to_owned(),
            },
            start: due + chrono::Duration::minutes(15),
            end: due + chrono::Duration::minutes(75),
            power_change_kw: 100.0,
            meterable_unit_ids: Vec::new(),
        },
    );
    serde_json::to_string(&message).unwrap_or_default()
}
