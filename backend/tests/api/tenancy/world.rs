//! The tenancy matrix's world: two FSP companies, their operators, users, tokens and data,
//! and the callers that act on them.

use super::E::{self, No, Ok as O};
use super::{Call, Case, Who};
use crate::dispatch::{DISPATCH, accepted_window, at, dispatch_input};
use crate::helpers::{
    Engine, TestApp, TestResponse, TwilightIds, frame, send, socket, twilight_ids,
};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// A's objects the cases address.
pub(super) struct Ids {
    pub(super) twilight: TwilightIds,
    /// A group and a unit of A's that the table retires.
    pub(super) spare_group: String,
    pub(super) spare_unit: String,
    pub(super) accepted_window: String,
    pub(super) declared_window: String,
    pub(super) decidable_window: String,
    pub(super) dispatch: String,
    pub(super) message: String,
    pub(super) cancel: String,
    pub(super) stop: String,
    pub(super) statement: String,
    /// A's company.
    pub(super) company: String,
    pub(super) victim: String,
    pub(super) passkey: String,
    pub(super) policy: Value,
}

pub(super) struct World {
    pub(super) app: TestApp,
    pub(super) ids: Ids,
    pub(super) callers: HashMap<Who, Credential>,
    /// Strings that only A's tenancy may see.
    pub(super) secrets: BTreeSet<String>,
}

#[derive(Clone)]
pub(super) enum Credential {
    Cookie(String),
    Bearer(String),
}

/// What a call answered: whether it succeeded, and its text to search for A's data.
pub(super) struct Answer {
    pub(super) success: bool,
    pub(super) text: String,
}

impl World {
    pub(super) async fn build(engine: Engine) -> World {
        let mut app = TestApp::spawn_with(engine, |s| s.allow_private_endpoints = true).await;
        app.default_cookie = Some(
            app.sign_up_operator("setup@ssen.example", "SSEN")
                .await
                .cookie,
        );
        let twilight = twilight_ids(&app).await;
        // The policy of Sustain, to send back unchanged.
        let zones = app
            .graphql(
                "{ zones { id programmes { kind policy { declarationLockDay declarationLockTime acceptanceDay acceptanceTime autoAccept weekAheadDay weekAheadTime dayAheadTime startLeadMinutes manualDispatch paymentBasis deliveryScale performanceFactor } } } }",
                json!({}),
            )
            .await;
        let policy = zones["data"]["zones"]
            .as_array()
            .expect("zones")
            .iter()
            .find(|z| z["id"] == "twilight-zone")
            .and_then(|z| z["programmes"].as_array())
            .and_then(|ps| ps.iter().find(|p| p["kind"] == "SUSTAIN"))
            .map(|p| p["policy"].clone())
            .expect("Sustain policy");

        // February: an accepted window and a dispatch in it, which ends and is reported.
        let accepted_window = accepted_window(&mut app, &twilight, "15:00", "19:00", 400.0).await;
        let created = app
            .graphql(
                DISPATCH,
                dispatch_input(
                    &twilight,
                    Some(&accepted_window),
                    "2025-02-24T16:00:00Z",
                    "2025-02-24T17:00:00Z",
                    250.0,
                ),
            )
            .await;
        let dispatch = created["data"]["createDispatch"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}"))
            .to_owned();
        let message = created["data"]["createDispatch"]["messages"][0]["messageId"]
            .as_str()
            .expect("message")
            .to_owned();
        // 16 March: February is final.
        app.clock.set(at("2025-03-16T09:00:00Z"));
        backend::jobs::run_due(&app.state).await;
        app.default_cookie = Some(
            app.sign_up_operator("ops@ssen.example", "SSEN")
                .await
                .cookie,
        );
        let declare = |date: &str| json!({"g": twilight.group, "p": twilight.sustain, "w": {"date": date, "start": "09:00", "end": "10:00", "kw": 100.0}});
        let mut windows = Vec::new();
        // One in the week of 24 March (locked by the 20th, so decidable), one in the week of
        // 31 March (still editable).
        for date in ["2025-03-24", "2025-04-01"] {
            let declared = app
                .graphql(
                    "mutation($g: String!, $p: String!, $w: WindowInput!) { declareAvailability(dispatchGroupId: $g, programmeId: $p, window: $w) { id } }",
                    declare(date),
                )
                .await;
            windows.push(
                declared["data"]["declareAvailability"]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{declared}"))
                    .to_owned(),
            );
        }
        let (decidable_window, declared_window) = (windows[0].clone(), windows[1].clone());
        let restore = |start: &str, end: &str| {
            json!({"d": {"dispatchGroupId": twilight.group, "programmeId": twilight.restore, "start": start,
                         "end": end, "powerChangeKw": 100.0, "availabilityWindowId": null}})
        };
        let mut future = Vec::new();
        for (start, end) in [
            ("2025-03-21T10:00:00Z", "2025-03-21T10:30:00Z"),
            ("2025-03-21T11:00:00Z", "2025-03-21T11:30:00Z"),
        ] {
            let d = app.graphql(DISPATCH, restore(start, end)).await;
            future.push(
                d["data"]["createDispatch"]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{d}"))
                    .to_owned(),
            );
        }
        let statements = app
            .graphql(
                "{ statements(month: \"2025-02\", zoneId: \"twilight-zone\") { id status company } }",
                json!({}),
            )
            .await;
        let statement = statements["data"]["statements"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["company"] == "Twilight Flex Ltd"))
            .and_then(|s| s["id"].as_str())
            .unwrap_or_else(|| panic!("{statements}"))
            .to_owned();

        let companies = app.graphql("{ companies { id name } }", json!({})).await;
        let company = companies["data"]["companies"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "Twilight Flex Ltd"))
            .and_then(|c| c["id"].as_str())
            .unwrap_or_else(|| panic!("{companies}"))
            .to_owned();

        // A group and unit of A's the table may retire: ATestDV and its unit.
        let groups = app
            .graphql(
                "{ dispatchGroups(zoneId: \"twilight-zone\") { id name companyName meterableUnits { id name } } }",
                json!({}),
            )
            .await;
        let spare = groups["data"]["dispatchGroups"]
            .as_array()
            .and_then(|g| g.iter().find(|g| g["name"] == "ATestDV"))
            .unwrap_or_else(|| panic!("{groups}"))
            .clone();
        let spare_group = spare["id"].as_str().expect("id").to_owned();
        let spare_unit = spare["meterableUnits"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{spare}"))
            .to_owned();

        // Thursday 20 March: the week of the 24th is locked. The callers sign in last so
        // that their sessions are fresh.
        app.clock.set(at("2025-03-20T09:00:00Z"));
        app.default_cookie = Some(
            app.sign_up_operator("control@ssen.example", "SSEN")
                .await
                .cookie,
        );
        let a = app.sign_up_participant("staff@twilight.example").await;
        let victim = app.sign_up_participant("victim@twilight.example").await;
        let b_link = app
            .invite(
                "staff@other.example",
                shared::Role::Participant,
                Some("Other Flex Ltd"),
            )
            .await;
        let b = app.complete_sign_up("staff@other.example", &b_link).await;
        let npg = app
            .sign_up_operator("ops@npg.example", "Northern Powergrid")
            .await;
        let admin_link = app
            .invite("admin@openflex.example", shared::Role::PlatformAdmin, None)
            .await;
        let admin = app
            .complete_sign_up("admin@openflex.example", &admin_link)
            .await;
        let ssen = app.default_cookie.clone().expect("operator");
        // A's dispatch endpoint and signing secret, for the test message.
        for mutation in [
            "mutation { updateDispatchSettings(endpointUrl: \"http://127.0.0.1:9/fsp\", delivery: API) { delivery } }",
            "mutation { rotateSigningSecret { secret } }",
        ] {
            let done = app.graphql_as(&a.cookie, mutation, json!({})).await;
            assert!(done["errors"].is_null(), "{done}");
        }
        // February's messages are long past their deadline: missed, so they may be re-sent.
        backend::services::dispatch::deliver_due(
            &app.db,
            &app.state.settings,
            &app.state.secrets,
            &app.state.mailer,
            "matrix",
            app.now(),
        )
        .await
        .expect("delivery pass");
        let token = app
            .graphql_as(
                &a.cookie,
                "mutation { createApiToken { token } }",
                json!({}),
            )
            .await["data"]["createApiToken"]["token"]
            .as_str()
            .expect("token")
            .to_owned();
        let passkey = insert_passkey(&app, "staff@twilight.example").await;
        let victim_id = {
            let users = app.graphql("{ users { id email } }", json!({})).await;
            users["data"]["users"]
                .as_array()
                .and_then(|u| u.iter().find(|u| u["email"] == victim.email))
                .and_then(|u| u["id"].as_str())
                .expect("victim")
                .to_owned()
        };

        let ids = Ids {
            twilight,
            spare_group,
            spare_unit,
            accepted_window,
            declared_window,
            decidable_window,
            dispatch,
            message,
            cancel: future[0].clone(),
            stop: future[1].clone(),
            statement,
            company,
            victim: victim_id,
            passkey,
            policy,
        };
        let secrets = secrets_of_a(&app, &ids, &[&a.email, &victim.email]).await;
        let callers = HashMap::from([
            (Who::A, Credential::Cookie(a.cookie)),
            (Who::B, Credential::Cookie(b.cookie)),
            (Who::Ssen, Credential::Cookie(ssen)),
            (Who::Npg, Credential::Cookie(npg.cookie)),
            (Who::Token, Credential::Bearer(token)),
            (Who::Admin, Credential::Cookie(admin.cookie)),
        ]);
        World {
            app,
            ids,
            callers,
            secrets,
        }
    }

    pub(super) async fn check(
        &self,
        case: &Case,
        who: Who,
        n: usize,
        expect: E,
    ) -> Result<(), String> {
        let credential = &self.callers[&who];
        let fill = |s: &str| s.replace("{who}", who.tag()).replace("{n}", &n.to_string());
        let (answer, sent, write) = match &case.call {
            Call::Graphql {
                query,
                variables,
                write,
            } => {
                let variables: Value =
                    serde_json::from_str(&fill(&variables.to_string())).expect("variables");
                let body = json!({"query": fill(query), "variables": variables});
                let response = self
                    .send(
                        credential,
                        Method::POST,
                        "/graphql",
                        Some((body.to_string(), "application/json")),
                        None,
                    )
                    .await;
                let value = response.json();
                let success = response.status == StatusCode::OK
                    && value["errors"].is_null()
                    && !value["data"].is_null();
                (
                    Answer {
                        success,
                        text: value.to_string(),
                    },
                    body.to_string(),
                    *write,
                )
            }
            Call::Rest {
                method,
                uri,
                body,
                accept,
            } => {
                let body = body.as_ref().map(|(b, t)| (fill(b), *t));
                let response = self
                    .send(credential, method.clone(), uri, body.clone(), *accept)
                    .await;
                let text = readable(&response);
                (
                    Answer {
                        success: response.status.is_success(),
                        text,
                    },
                    format!("{uri} {}", body.map(|b| b.0).unwrap_or_default()),
                    *method != Method::GET,
                )
            }
            Call::Subscription { query } => {
                let answer = self.subscribe(credential, query).await;
                (answer, query.clone(), false)
            }
            Call::Elsewhere(_) => return Ok(()),
        };
        if who.is_outsider() && !case.public {
            let leaked: Vec<&String> = self
                .secrets
                .iter()
                .filter(|s| answer.text.contains(s.as_str()) && !sent.contains(s.as_str()))
                .collect();
            if !leaked.is_empty() {
                return Err(format!(
                    "A's data reached an outsider: {leaked:?} in {}",
                    clip(&answer.text)
                ));
            }
        }
        match expect {
            O if !answer.success => Err(format!("expected to succeed: {}", clip(&answer.text))),
            No if write && answer.success => Err(format!(
                "a write outside its tenancy succeeded: {}",
                clip(&answer.text)
            )),
            _ => Ok(()),
        }
    }

    async fn send(
        &self,
        credential: &Credential,
        method: Method,
        uri: &str,
        body: Option<(String, &'static str)>,
        accept: Option<&'static str>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(uri);
        request = match credential {
            Credential::Cookie(cookie) => request.header("cookie", cookie),
            Credential::Bearer(token) => request.header("authorization", format!("Bearer {token}")),
        };
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let request = match body {
            Some((body, content_type)) => request
                .header("content-type", content_type)
                .body(Body::from(body)),
            None => request.body(Body::empty()),
        }
        .expect("request");
        self.app.request(request).await
    }

    /// Subscribes over a real socket; success is a message of A's dispatch arriving.
    async fn subscribe(&self, credential: &Credential, query: &str) -> Answer {
        let addr = self.app.serve().await;
        let mut ws = match credential {
            Credential::Cookie(cookie) => socket(addr, &[("cookie", cookie)]).await,
            Credential::Bearer(_) => socket(addr, &[]).await,
        }
        .expect("socket");
        let init = match credential {
            Credential::Bearer(token) => {
                json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})
            }
            Credential::Cookie(_) => json!({"type": "connection_init"}),
        };
        send(&mut ws, init).await;
        let ack = frame(&mut ws).await;
        if ack["type"] != "connection_ack" {
            return Answer {
                success: false,
                text: ack.to_string(),
            };
        }
        send(
            &mut ws,
            json!({"id": "1", "type": "subscribe", "payload": {"query": query}}),
        )
        .await;
        let first = tokio::time::timeout(std::time::Duration::from_secs(3), frame(&mut ws)).await;
        match first {
            Ok(message) => Answer {
                success: message["type"] == "next" && message["payload"]["errors"].is_null(),
                text: message.to_string(),
            },
            // Nothing of anyone's: nothing leaked, and nothing shown.
            Err(_) => Answer {
                success: false,
                text: String::new(),
            },
        }
    }
}

/// A response body as text to search: zips are opened and their files read.
pub(super) fn readable(response: &TestResponse) -> String {
    if response.body.starts_with(b"PK") {
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(response.body.clone())).expect("a zip");
        let mut text = String::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).expect("entry");
            text.push_str(file.name());
            text.push('\n');
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut content).expect("read");
            text.push_str(&String::from_utf8_lossy(&content));
        }
        return text;
    }
    String::from_utf8_lossy(&response.body).into_owned()
}

pub(super) fn clip(text: &str) -> String {
    text.chars().take(400).collect()
}

/// Strings only A's tenancy may see: its name, its groups' and units' ids and names, its
/// dispatches, messages, windows, statement and users.
pub(super) async fn secrets_of_a(app: &TestApp, ids: &Ids, emails: &[&str]) -> BTreeSet<String> {
    let mut secrets: BTreeSet<String> = [
        "Twilight Flex Ltd",
        &ids.dispatch,
        &ids.message,
        &ids.cancel,
        &ids.stop,
        &ids.statement,
        &ids.company,
        &ids.accepted_window,
        &ids.declared_window,
        &ids.decidable_window,
        &ids.passkey,
        &ids.victim,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain(emails.iter().map(|e| (*e).to_owned()))
    .collect();
    for zone in ["twilight-zone", "electralink-zone-1", "isle-of-skye"] {
        let groups = app
            .graphql(
                "query($z: String!) { dispatchGroups(zoneId: $z) { id name companyName meterableUnits { id name } } }",
                json!({"z": zone}),
            )
            .await;
        for group in groups["data"]["dispatchGroups"].as_array().expect("groups") {
            if group["companyName"] != "Twilight Flex Ltd" {
                continue;
            }
            for value in [&group["id"], &group["name"]] {
                secrets.insert(value.as_str().expect("text").to_owned());
            }
            for unit in group["meterableUnits"].as_array().expect("units") {
                for value in [&unit["id"], &unit["name"]] {
                    secrets.insert(value.as_str().expect("text").to_owned());
                }
            }
        }
    }
    secrets
}

pub(super) async fn insert_passkey(app: &TestApp, email: &str) -> String {
    use backend::db::entities::{passkeys, users};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&app.db)
        .await
        .expect("query")
        .expect("user");
    let id = backend::ids::new_public_id().to_string();
    passkeys::ActiveModel {
        public_id: Set(id.clone()),
        user_id: Set(user.id),
        credential_id: Set(format!("cred-{id}")),
        name: Set("Laptop".to_owned()),
        passkey_json: Set("{}".to_owned()),
        created_at: Set(app.now()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("passkey");
    id
}
