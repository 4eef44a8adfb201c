//! `openflex`: the Openflex server binary.

use anyhow::Context;
use backend::app::{AppState, Clock, ShiftedClock, SystemClock, router};
use backend::config::{LogFormat, Settings};
use backend::crypto::SecretBox;
use backend::services::ServiceError;
use backend::services::accounts::{self, Creator, NewUser};
use backend::{db, seed};
use clap::{Parser, Subcommand};
use shared::Role;
use std::path::PathBuf;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// Openflex: schedule, dispatch and settle distribution-network flexibility.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (default: ./openflex.toml when present). Environment
    /// variables OPENFLEX_* and DATABASE_URL override it.
    #[arg(long, global = true, env = "OPENFLEX_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, seed demo data into an empty dev-mode database, and serve (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the demo operator, zones, companies and units (idempotent) and exit.
    SeedDemo,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// An FSP's system in a box, for the sandbox: receives dispatch messages on
    /// {listen}/dispatch, checks their signatures, and follows each START by posting
    /// readings at the given response until the dispatch stops. Needs no database.
    FspSimulator(SimulatorArgs),
}

#[derive(clap::Args)]
struct SimulatorArgs {
    /// Openflex's base URL.
    #[arg(long, default_value = "http://localhost:8080")]
    api_url: String,
    /// The company's API token (API Testing › My API Access Tokens).
    #[arg(long, env = "OPENFLEX_TOKEN")]
    token: String,
    /// Where to receive dispatch messages.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: std::net::SocketAddr,
    /// The company's signing secret (whsec_…).
    #[arg(long, env = "OPENFLEX_SIGNING_SECRET")]
    secret: Option<String>,
    /// The share of each instruction the simulated units deliver (0.95 = 95 %).
    #[arg(long, default_value_t = 0.95)]
    response: f64,
    /// Sign in as a user of the company (OPENFLEX_EMAIL, OPENFLEX_PASSWORD and the
    /// authenticator's base32 secret OPENFLEX_TOTP_SECRET) and make this simulator the
    /// company's dispatch endpoint: an API token may not change where dispatches go.
    #[arg(long)]
    register: bool,
    /// The base URL to register when Openflex reaches the simulator at another address.
    #[arg(long)]
    endpoint_url: Option<String>,
}

impl SimulatorArgs {
    fn options(self) -> anyhow::Result<backend::simulator::Options> {
        let var = |name: &str| {
            std::env::var(name)
                .with_context(|| format!("--register needs {name} in the environment"))
        };
        let register = if self.register {
            Some(backend::simulator::SignIn {
                email: var("OPENFLEX_EMAIL")?,
                password: var("OPENFLEX_PASSWORD")?,
                totp_secret: var("OPENFLEX_TOTP_SECRET")?,
            })
        } else {
            None
        };
        Ok(backend::simulator::Options {
            api_url: self.api_url,
            token: self.token,
            listen: self.listen,
            secret: self.secret,
            response: self.response,
            register,
            endpoint_url: self.endpoint_url,
        })
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user and print the invitation link (also e-mailed). This is how an
    /// installation gets its first platform admin.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The FSP company (participant) or operator (operator user) the user belongs to.
        #[arg(long)]
        organisation: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    PlatformAdmin,
    Operator,
    Participant,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::PlatformAdmin => Role::PlatformAdmin,
            RoleArg::Operator => Role::Operator,
            RoleArg::Participant => Role::Participant,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::FspSimulator(args)) = cli.command {
        // A client of Openflex, not a part of it: no configuration, no database.
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::from_default_env())
            .init();
        return backend::simulator::run(args.options()?).await;
    }
    let mut settings = Settings::load(cli.config.as_deref()).context("loading configuration")?;
    init_tracing(settings.log_format);
    if settings.secret_key.is_none() {
        // Validation already refused this outside dev mode.
        settings.secret_key = Some(dev_secret_key().context("dev-mode secret key")?);
    }
    tracing::info!(
        addr = %settings.addr,
        public_url = %settings.public_url,
        database_url = %settings.database_url_redacted(),
        dev_mode = settings.dev_mode,
        static_dir = %settings.static_dir.display(),
        smtp_url = %settings.smtp_url_redacted(),
        mail_from = %settings.mail_from,
        "configuration"
    );
    ensure_sqlite_dir(&settings.database_url)?;
    let db = db::connect(&settings.database_url)
        .await
        .context("connecting to the database")?;
    db::migrate(&db).await.context("migrating the database")?;
    let clock: Arc<dyn Clock> = match settings.start_clock_at {
        Some(start) => {
            tracing::warn!(%start, "dev mode: the clock starts at a fixed instant");
            Arc::new(ShiftedClock::starting_at(start))
        }
        None => Arc::new(SystemClock),
    };

    let state = AppState::new(db.clone(), settings.clone(), clock.clone())
        .context("building the application")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::User(UserCommand::Create {
            email,
            name,
            role,
            organisation,
        }) => {
            let input = NewUser {
                email,
                name,
                role: role.into(),
                organisation,
            };
            match accounts::create_user(&state.accounts_env(), Creator::System, input, clock.now())
                .await
            {
                Ok(created) => println!(
                    "user {} created; invitation link (valid 24 hours):\n{}",
                    created.id, created.invitation_url
                ),
                Err(ServiceError::Invalid(errors)) => {
                    for e in errors {
                        eprintln!("{}: {}", e.field, e.reason);
                    }
                    std::process::exit(2);
                }
                Err(e) => return Err(e).context("creating the user"),
            }
        }
        // Run above, before any configuration or database.
        Command::FspSimulator(_) => {}
        Command::Migrate => {
            tracing::info!("migrations applied");
        }
        Command::SeedDemo => {
            let created = seed::seed_demo(&db, clock.now()).await.context("seeding")?;
            tracing::info!(created, "demo data");
            if state.settings.dev_mode {
                seed::ensure_demo_users(&db, &state.secrets, clock.now())
                    .await
                    .context("demo sign-ins")?;
                println!("Demo sign-ins (dev mode only; codes: oathtool --totp -b SECRET):");
                for login in &seed::DEMO_LOGINS {
                    println!(
                        "  {:<11} {:<24} password: {:<28} TOTP secret: {}",
                        login.role.label(),
                        login.email,
                        login.password,
                        login.totp_secret
                    );
                }
                let token = seed::demo_api_token(&db, clock.now()).await?;
                println!(
                    "Demo API token for Twilight Flex Ltd (replaces the previous one): {token}\n  \
                     curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \
                     -d '{{\"readings\":[{{\"meterable_unit_id\":\"{unit}\",\"timestamp\":\"2025-02-01T02:00:00Z\",\"power_kw\":-907.99}}]}}' \
                     {url}/api/v2/readings",
                    unit = seed::API_TEST_UNIT_ID,
                    url = state.settings.public_url,
                );
            }
        }
        Command::Serve => {
            if state.settings.dev_mode {
                if seed::seed_demo(&db, clock.now()).await.context("seeding")? {
                    tracing::info!("empty database: demo data created");
                }
                seed::ensure_demo_users(&db, &state.secrets, clock.now())
                    .await
                    .context("demo sign-ins")?;
            }
            let addr = settings.addr;
            let public_url = settings.public_url.clone();
            let scheduler = backend::jobs::spawn(state.clone());
            let delivery = backend::jobs::spawn_delivery(state.clone());
            let app = router(state);
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            tracing::info!(%addr, "Openflex is serving at {public_url}");
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
            // Deliveries in flight finish and release their leases; the scheduler's jobs are
            // idempotent and catch up on the next start.
            delivery.stop().await;
            scheduler.abort();
            db.close().await.context("closing the database")?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

/// Dev mode only: a key kept in `data/secret.key`, made on first use.
fn dev_secret_key() -> anyhow::Result<String> {
    let path = std::path::Path::new("data/secret.key");
    if let Ok(key) = std::fs::read_to_string(path) {
        return Ok(key.trim().to_owned());
    }
    std::fs::create_dir_all("data")?;
    let key = SecretBox::generate_key()?;
    std::fs::write(path, &key)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::warn!(path = %path.display(), "dev mode: generated a secret key");
    Ok(key)
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// SQLite creates the file but not its directory.
fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}
