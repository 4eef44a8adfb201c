//! Throw-away databases for tests, end-to-end runs and benchmarks: a fresh SQLite file or a
//! fresh PostgreSQL database, removed when the value is dropped (even after a panic).

use crate::db;
use sea_orm::{ConnectionTrait, DbErr};
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
                    DbErr::Custom(format!("PostgreSQL is required at {admin_url}: {e}"))
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
