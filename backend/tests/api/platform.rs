//! Health, the OpenAPI document, the browser app's static files, and seeding.

use crate::helpers::{Engine, TWILIGHT, TestApp, both_databases, test_now};
use axum::http::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};

both_databases!(
    healthz_reports_the_database,
    readiness_needs_the_database_its_migrations_and_both_loops,
    openapi_document_is_3_1_and_lists_every_route,
    unknown_api_route_is_a_404_problem,
    spa_routes_fall_back_to_the_app_and_hashed_assets_are_immutable,
    seeding_twice_changes_nothing,
    stored_dispatch_messages_are_upgraded_to_the_typed_format,
    decisions_and_dynamic_policies_made_before_are_labelled_by_the_migrations,
);

async fn healthz_reports_the_database(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["database"], "ok");
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(
            response.headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name}"
        );
    }
}

/// `/readyz` (issue 15 §2): ready only once the scheduler and the delivery worker have each
/// finished a pass, and never with a migration this build knows not yet applied.
async fn readiness_needs_the_database_its_migrations_and_both_loops(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let before = app.get("/readyz").await;
    assert_eq!(before.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        before.json(),
        serde_json::json!({"status": "not ready", "database": "ok", "migrations": "ok",
            "scheduler": "not ready", "delivery": "not ready"})
    );
    let scheduler = backend::jobs::spawn(app.state.clone());
    let delivery = backend::jobs::spawn_delivery(app.state.clone());
    let mut ready = None;
    for _ in 0..100 {
        let response = app.get("/readyz").await;
        if response.status == StatusCode::OK {
            ready = Some(response.json());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        ready.expect("ready within 10 s of both loops starting")["status"],
        "ok"
    );

    // The schema one migration behind this build (an upgrade not yet run): not ready.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = \
             (SELECT max(version) FROM seaql_migrations)",
        )
        .await
        .expect("forget the last migration");
    let behind = app.get("/readyz").await;
    assert_eq!(behind.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(behind.json()["migrations"], "not ready");
    scheduler.abort();
    delivery.stop().await;
}

async fn openapi_document_is_3_1_and_lists_every_route(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let doc = app.get("/api/v2/openapi.json").await.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{doc}"
    );
    validate_openapi_3_1(&doc);
    // Every route the router serves is documented with its method, and nothing else is.
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    documented.sort_unstable();
    let mut served: Vec<String> = backend::rest::route_list()
        .into_iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    served.sort_unstable();
    assert_eq!(documented, served);
    // And the router really serves each of them.
    for (method, path) in backend::rest::route_list() {
        if method == axum::http::Method::GET && !path.contains('{') {
            let response = app.get(&path).await;
            assert_ne!(
                response.status,
                StatusCode::NOT_FOUND,
                "{path} is not routed"
            );
        }
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in ["Zone", "DispatchGroup", "MeterableUnit", "ProblemDetails"] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    webhooks_are_documented_with_schemas_that_their_examples_meet(&doc);
}

/// The `webhooks` section: every message type, its three signature headers, and an
/// example that its own schema (from `components`) accepts, while the schema refuses the
/// example under another message's `type`.
fn webhooks_are_documented_with_schemas_that_their_examples_meet(doc: &serde_json::Value) {
    let webhooks = doc["webhooks"].as_object().expect("a webhooks section");
    let kinds: Vec<&str> = webhooks.keys().map(String::as_str).collect();
    assert_eq!(
        kinds.len(),
        5,
        "START, STOP, CANCEL, EMERGENCY_STOP and SCHEDULE: {kinds:?}"
    );
    for (kind, item) in webhooks {
        let post = &item["post"];
        let headers: Vec<&str> = post["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter(|p| p["in"] == "header" && p["required"] == true)
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"],
            "{kind}"
        );
        let description = post["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("0, 2, 7, 22, 52 s"),
            "{kind}: the retry schedule: {description}"
        );
        let content = &post["requestBody"]["content"]["application/json"];
        let example = &content["example"];
        assert_eq!(example["type"], kind.as_str());
        // The schema with the document's components beside it, so its references resolve.
        let schema = serde_json::json!({
            "$ref": content["schema"]["$ref"],
            "components": doc["components"],
        });
        let validator = jsonschema::options()
            .offline()
            .build(&schema)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(example)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{kind}: {errors:?}");
        let mut other = example.clone();
        other["type"] = serde_json::json!(if kind == "dispatch.stop" {
            "dispatch.start"
        } else {
            "dispatch.stop"
        });
        assert!(!validator.is_valid(&other), "{kind} accepts another type");
    }
}

async fn unknown_api_route_is_a_404_problem(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app.get("/api/v2/nothing-here").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.content_type(), "application/problem+json");
}

async fn spa_routes_fall_back_to_the_app_and_hashed_assets_are_immutable(engine: Engine) {
    let dir =
        std::env::temp_dir().join(format!("openflex-static-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("static dir");
    std::fs::write(dir.join("index.html"), "<html>openflex app</html>").expect("index");
    std::fs::write(dir.join("frontend-0123456789abcdef_bg.wasm"), b"\0asm").expect("wasm");
    let static_dir = dir.clone();
    let app = TestApp::spawn_with(engine, move |s| s.static_dir = static_dir).await;

    for path in ["/", "/meterable-units", "/api-testing/readings"] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert!(response.text().contains("openflex app"), "{path}");
        assert_eq!(
            response
                .headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-cache"),
            "{path}"
        );
    }
    let wasm = app.get("/frontend-0123456789abcdef_bg.wasm").await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(
        wasm.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("public, max-age=31536000, immutable")
    );
    std::fs::remove_dir_all(dir).ok();
}

async fn seeding_twice_changes_nothing(engine: Engine) {
    use backend::db::entities::{dispatch_groups, meterable_units};
    let app = TestApp::spawn(engine, None).await;
    let groups = dispatch_groups::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    let units = meterable_units::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    let created = backend::seed::seed_demo(&app.db, test_now())
        .await
        .expect("seed");
    assert!(!created);
    assert_eq!(
        dispatch_groups::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        groups
    );
    assert_eq!(
        meterable_units::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        units
    );
}

/// Validates `doc` against the OpenAPI Initiative's 3.1 JSON Schemas (kept in
/// `tests/fixtures/openapi-3.1`), Schema Objects included, and checks that the validator
/// refuses a broken copy.
fn validate_openapi_3_1(doc: &serde_json::Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi-3.1");
    let load = |name: &str| -> serde_json::Value {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let registry = jsonschema::Registry::new()
        .add(
            "https://spec.openapis.org/oas/3.1/schema/2021-04-15",
            load("schema.json"),
        )
        .and_then(|r| {
            r.add(
                "https://spec.openapis.org/oas/3.1/dialect/base",
                load("dialect-base.schema.json"),
            )
        })
        .and_then(|r| {
            r.add(
                "https://spec.openapis.org/oas/3.1/meta/base",
                load("meta-base.schema.json"),
            )
        })
        .and_then(jsonschema::RegistryBuilder::prepare)
        .expect("the OpenAPI 3.1 schemas");
    let validator = jsonschema::options()
        .offline()
        .with_registry(&registry)
        .build(&load("schema-base.json"))
        .expect("a validator");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid OpenAPI 3.1:\n{}",
        errors.join("\n")
    );
    let mut broken = doc.clone();
    broken["paths"]["/api/v2/readings"]["post"]["responses"]["200"] = serde_json::json!(42);
    assert!(
        !validator.is_valid(&broken),
        "the validator must refuse a broken document"
    );
}

/// The vendored sqlx-core sets `TCP_NODELAY` on every PostgreSQL connection (without it a
/// statement longer than one segment waits ~40 ms for the server's delayed ACK). Checked
/// on the real sockets of this process: each one connected to the PostgreSQL port.
#[tokio::test]
async fn postgres_connections_set_tcp_nodelay() {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    let app = TestApp::spawn(Engine::Postgres, None).await;
    let zones = backend::db::entities::zones::Entity::find()
        .count(&app.db)
        .await
        .expect("a query over the pool");
    assert!(zones > 0);

    let admin = std::env::var("OPENFLEX_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| backend::testing::DEFAULT_POSTGRES_ADMIN_URL.to_owned());
    let port: u16 = admin
        .rsplit('@')
        .next()
        .and_then(|host| host.split('/').next())
        .and_then(|host| host.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432);
    let me = pidfd_open(getpid(), PidfdFlags::empty()).expect("pidfd_open");
    let mut checked = 0;
    for entry in std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .flatten()
    {
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if !is_socket {
            continue;
        }
        // A duplicate of the descriptor, so that it can be read without `unsafe`; the
        // connection itself is untouched.
        let copy = match pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()) {
            Ok(copy) => copy,
            // Closed since the directory was read (another test's pool, say).
            Err(rustix::io::Errno::BADF) => continue,
            Err(e) => panic!("pidfd_getfd: {e}"),
        };
        let peer = rustix::net::getpeername(&copy)
            .ok()
            .flatten()
            .and_then(|a| std::net::SocketAddr::try_from(a).ok());
        if peer.is_some_and(|p| p.port() == port) {
            assert!(
                rustix::net::sockopt::tcp_nodelay(&copy).expect("getsockopt"),
                "a PostgreSQL connection ({peer:?}) without TCP_NODELAY"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no PostgreSQL connection found to check");
}

/// Messages queued before the typed format (with `api_version`, without `version` and
/// `type`) are rewritten by the migration, so that they are still delivered and streamed.
async fn stored_dispatch_messages_are_upgraded_to_the_typed_format(engine: Engine) {
    use backend::db::entities::{dispatch_messages, fsp_companies};
    use migrations::{Migrator, MigratorTrait};
    use sea_orm::{ActiveModelTrait, Set};
    let (_database, db) = migrated_up_to(engine, "m20261130_000022_typed_dispatch_messages").await;
    let now = test_now();
    // Inserted without reading the row back: later migrations add columns the entity has.
    let company = fsp_companies::Entity::insert(fsp_companies::ActiveModel {
        public_id: Set("C-OLD".to_owned()),
        name: Set("Old Flex Ltd".to_owned()),
        companies_house_number: Set("12345678".to_owned()),
        vat_number: Set(None),
        billing_address: Set("1 Quay".to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&db)
    .await
    .expect("company")
    .last_insert_id;
    let old = r#"{"api_version":"2","message_id":"msg_old","instruction":"START","dispatch_id":"DSP-1","zone":{"id":"z","name":"Z"},"programme":"Sustain","dispatch_group":{"id":"DG-1","name":"G"},"start":"2025-02-24T16:00:00Z","end":"2025-02-24T18:00:00Z","power_change_kw":250.0,"meterable_unit_ids":["MU-1"]}"#;
    dispatch_messages::ActiveModel {
        message_id: Set("msg_old".to_owned()),
        company_id: Set(company),
        dispatch_event_id: Set(None),
        instruction: Set("START".to_owned()),
        payload: Set(old.to_owned()),
        due_at: Set(now),
        deadline: Set(now + chrono::Duration::hours(1)),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        lease_owner: Set(None),
        delivered_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("an old message");
    Migrator::up(&db, None).await.expect("the later migrations");
    let stored = dispatch_messages::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("the message");
    let message: shared::webhooks::Message =
        serde_json::from_str(&stored.payload).expect("the typed format");
    assert!(
        matches!(&message, shared::webhooks::Message::Start(m) if !m.test && m.dispatch_id == "DSP-1"),
        "{message:?}"
    );
    assert!(
        !stored.payload.contains("api_version"),
        "{}",
        stored.payload
    );
}

/// Windows decided before `decided_by` existed are labelled from what is known (a user
/// decided: the operator; nobody: the lock), and a Dynamic policy an operator edited
/// before the mandatory week-ahead e-mail gains it, while a Sustain one does not.
async fn decisions_and_dynamic_policies_made_before_are_labelled_by_the_migrations(engine: Engine) {
    use backend::db::entities::{
        availability_windows, dispatch_groups, fsp_companies, operators, programmes, zones,
    };
    use migrations::{Migrator, MigratorTrait};
    use sea_orm::{EntityTrait, Set};
    let (_database, db) = migrated_up_to(engine, "m20261205_000023_window_decided_by").await;
    let now = test_now();
    // Inserted without reading rows back: later migrations add columns the entities have.
    let operator = operators::Entity::insert(operators::ActiveModel {
        public_id: Set("OPERATOROLD000000001".to_owned()),
        name: Set("Old Operator".to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&db)
    .await
    .expect("operator")
    .last_insert_id;
    let zone = zones::Entity::insert(zones::ActiveModel {
        slug: Set("old-zone".to_owned()),
        operator_id: Set(operator),
        name: Set("Old Zone".to_owned()),
        sandbox: Set(false),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&db)
    .await
    .expect("zone")
    .last_insert_id;
    let company = fsp_companies::Entity::insert(fsp_companies::ActiveModel {
        public_id: Set("COMPANYOLD0000000001".to_owned()),
        name: Set("Old Flex Ltd".to_owned()),
        companies_house_number: Set("12345678".to_owned()),
        vat_number: Set(None),
        billing_address: Set("1 Quay".to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&db)
    .await
    .expect("company")
    .last_insert_id;
    let group = dispatch_groups::Entity::insert(dispatch_groups::ActiveModel {
        public_id: Set("GROUPOLD000000000001".to_owned()),
        zone_id: Set(zone),
        company_id: Set(company),
        name: Set("Old Group".to_owned()),
        power_change_kw: Set(100.0),
        direction: Set("turn_down".to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&db)
    .await
    .expect("group")
    .last_insert_id;
    let edited = r#"{"declaration_lock_day":"WEDNESDAY","declaration_lock_time":"23:59","acceptance_day":"THURSDAY","acceptance_time":"12:00","auto_accept":false,"week_ahead_day":"THURSDAY","week_ahead_time":"17:00","day_ahead_time":null,"start_lead_minutes":15,"manual_dispatch":false,"payment_basis":"UTILISATION_ONLY","delivery_scale":"FLAT","performance_factor":"ONE"}"#;
    let mut programme_ids = Vec::new();
    for (kind, public_id) in [
        ("sustain", "PROGRAMMEOLD00000001"),
        ("dynamic", "PROGRAMMEOLD00000002"),
    ] {
        programme_ids.push(
            programmes::Entity::insert(programmes::ActiveModel {
                public_id: Set(public_id.to_owned()),
                zone_id: Set(zone),
                kind: Set(kind.to_owned()),
                auction: Set(false),
                name: Set(kind.to_owned()),
                created_at: Set(now),
                policy: Set(Some(edited.to_owned())),
                ..Default::default()
            })
            .exec(&db)
            .await
            .expect("programme")
            .last_insert_id,
        );
    }
    let window = |n: u8, status: &str, by: Option<i32>| availability_windows::ActiveModel {
        public_id: Set(format!("WINDOWOLD00000000{n:03}")),
        dispatch_group_id: Set(group),
        programme_id: Set(programme_ids[0]),
        week_commencing: Set(now.date_naive()),
        day: Set(now.date_naive()),
        start_local: Set("16:00".to_owned()),
        end_local: Set("17:00".to_owned()),
        start_at: Set(now),
        end_at: Set(now + chrono::Duration::hours(1)),
        declared_kw: Set(50.0),
        status: Set(status.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        decided_by_user_id: Set(by),
        ..Default::default()
    };
    for row in [
        window(1, "accepted", Some(7)),
        window(2, "accepted", None),
        window(3, "declared", None),
    ] {
        availability_windows::Entity::insert(row)
            .exec(&db)
            .await
            .expect("window");
    }
    Migrator::up(&db, None).await.expect("the later migrations");

    let mut labels: Vec<(String, Option<String>)> = availability_windows::Entity::find()
        .all(&db)
        .await
        .expect("windows")
        .into_iter()
        .map(|w| (w.public_id, w.decided_by))
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        [
            (
                "WINDOWOLD00000000001".to_owned(),
                Some("operator".to_owned())
            ),
            (
                "WINDOWOLD00000000002".to_owned(),
                Some("auto_accept".to_owned())
            ),
            ("WINDOWOLD00000000003".to_owned(), None),
        ]
    );
    for (id, email_day) in programme_ids
        .iter()
        .zip([None, Some(shared::DayOfWeek::Friday)])
    {
        let programme = programmes::Entity::find_by_id(*id)
            .one(&db)
            .await
            .expect("query")
            .expect("programme");
        let policy: shared::ProgrammePolicy =
            serde_json::from_str(programme.policy.as_deref().unwrap_or_default())
                .expect("a policy");
        assert_eq!(policy.week_ahead_email_day, email_day, "{}", programme.kind);
        assert_eq!(policy.week_ahead_day, Some(shared::DayOfWeek::Thursday));
    }
}

/// A fresh database with every migration before `name` applied, to put data in as it was
/// before that migration.
async fn migrated_up_to(
    engine: Engine,
    name: &str,
) -> (backend::testing::TempDatabase, sea_orm::DatabaseConnection) {
    use migrations::{Migrator, MigratorTrait};
    let database = backend::testing::TempDatabase::create(engine)
        .await
        .expect("database");
    let db = backend::db::connect(&database.url).await.expect("connect");
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}")) as u32;
    Migrator::up(&db, Some(before)).await.expect("migrate");
    (database, db)
}
