//! The tenancy matrix. Every GraphQL root field (read from the live schema) and every REST
//! route (read from the router's own route table) is run as five callers against ids
//! owned by Twilight Flex Ltd ("A"): a user of A, a user of Other Flex Ltd ("B"), an SSEN
//! operator (A's operator), a Northern Powergrid operator (which shares B with SSEN but
//! not A) and A's API token; a platform admin too where only it may act. What each may do
//! is declared per route in one table (`cases`); a route missing from the table fails.
//!
//! For B and Northern Powergrid the rule is absolute: no answer carries any of A's data
//! (ids, names, e-mail addresses, figures' ids), and no write they attempt succeeds.

mod world;

use crate::helpers::{Engine, TestApp, both_databases};
use axum::http::Method;
use backend::seed::API_TEST_UNIT_ID;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use world::{Ids, World};

both_databases!(no_caller_reads_or_writes_another_tenants_data);

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    A,
    B,
    Ssen,
    Npg,
    Token,
    Admin,
}

impl Who {
    /// Those outside A's tenancy: nothing of A's may reach them.
    fn is_outsider(self) -> bool {
        matches!(self, Who::B | Who::Npg)
    }

    fn tag(self) -> &'static str {
        match self {
            Who::A => "a",
            Who::B => "b",
            Who::Ssen => "ssen",
            Who::Npg => "npg",
            Who::Token => "token",
            Who::Admin => "admin",
        }
    }
}

/// The expected outcome for one caller: allowed (it succeeds), or not (a read shows none
/// of A's data, a write is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum E {
    Ok,
    No,
}
use E::{No, Ok as O};

/// How a route is called. `{who}` and `{n}` in variables or bodies become the caller's
/// tag and number, so that creations do not collide.
enum Call {
    Graphql {
        query: String,
        variables: Value,
        write: bool,
    },
    Rest {
        method: Method,
        uri: String,
        body: Option<(String, &'static str)>,
        accept: Option<&'static str>,
    },
    Subscription {
        query: String,
    },
    /// Declared, not run here, with the reason.
    Elsewhere(&'static str),
}

struct Case {
    /// `Query.zones`, `Mutation.createUser`, `Subscription.dispatchMessages` or
    /// `GET /api/v2/zones`.
    route: String,
    call: Call,
    /// A, B, SSEN, Northern Powergrid, A's token; then, optionally, the platform admin.
    expect: [E; 5],
    admin: Option<E>,
    /// Public by design (the API's own documentation, whose examples name demo ids).
    public: bool,
}

fn gql(route: &str, query: &str, variables: Value, expect: [E; 5]) -> Case {
    Case {
        route: route.to_owned(),
        call: Call::Graphql {
            query: query.to_owned(),
            variables,
            write: route.starts_with("Mutation."),
        },
        expect,
        admin: None,
        public: false,
    }
}

fn get(path: &str, uri: String, accept: Option<&'static str>, expect: [E; 5]) -> Case {
    Case {
        route: format!("GET {path}"),
        call: Call::Rest {
            method: Method::GET,
            uri,
            body: None,
            accept,
        },
        expect,
        admin: None,
        public: false,
    }
}

fn post(path: &str, uri: String, body: String, content_type: &'static str, expect: [E; 5]) -> Case {
    Case {
        route: format!("POST {path}"),
        call: Call::Rest {
            method: Method::POST,
            uri,
            body: Some((body, content_type)),
            accept: None,
        },
        expect,
        admin: None,
        public: false,
    }
}

fn elsewhere(route: &str, why: &'static str) -> Case {
    Case {
        route: route.to_owned(),
        call: Call::Elsewhere(why),
        expect: [No; 5],
        admin: None,
        public: false,
    }
}

fn cases(ids: &Ids) -> Vec<Case> {
    let g = &ids.twilight.group;
    let sustain = &ids.twilight.sustain;
    let restore = &ids.twilight.restore;
    let u = API_TEST_UNIT_ID;
    let future_restore = |start: &str, end: &str| {
        json!({"dispatchGroupId": g, "programmeId": restore, "start": start, "end": end,
               "powerChangeKw": 100.0, "availabilityWindowId": null})
    };
    let window = json!({"date": "2025-04-01", "start": "10:00", "end": "11:00", "kw": 100.0});
    let group_input = |name: &str| {
        json!({"name": name, "powerChangeKw": 100.0, "direction": "TURN_DOWN", "minRuntimeMinutes": null,
               "maxRuntimeMinutes": null, "weeklyRuntimeMinutes": null, "marketplaceUnits": []})
    };
    let reading = json!({"readings": [{"meterable_unit_id": u, "timestamp": "2025-03-20T07:00:00Z", "power_kw": 1.0}]}).to_string();
    vec![
        // Queries.
        gql("Query.me", "{ me { email organisation } }", json!({}), [O, O, O, O, No]),
        gql("Query.companies", "{ companies { id name } }", json!({}), [O, O, O, O, O]),
        gql("Query.operators", "{ operators { id name } }", json!({}), [O, O, O, O, O]),
        gql("Query.apiToken", "{ apiToken { hint } }", json!({}), [O, O, No, No, O]),
        gql("Query.passkeys", "{ passkeys { id name } }", json!({}), [O, O, O, O, No]),
        gql("Query.users", "{ users { id email organisation } }", json!({}), [O, O, O, O, O]),
        gql("Query.devMailbox", "{ devMailbox { to subject text } }", json!({}), [No, No, O, O, No]),
        gql("Query.auditLog", "{ auditLog(limit: 1000) { event detail actorEmail subjectEmail } }", json!({}), [No, No, O, O, No]),
        gql("Query.zones", "{ zones { id name } }", json!({}), [O, O, O, O, O]),
        gql("Query.dispatchGroups", "query($z: String!) { dispatchGroups(zoneId: $z, weekCommencing: \"2025-02-24\") { id name companyName meterableUnits { id name } } }", json!({"z": "twilight-zone"}), [O, No, O, No, O]),
        gql("Query.dispatchGroup", "query($id: String!) { dispatchGroup(id: $id) { id name companyName } }", json!({"id": g}), [O, No, O, No, O]),
        gql("Query.meterableUnit", "query($id: String!) { meterableUnit(id: $id) { id name } }", json!({"id": u}), [O, No, O, No, O]),
        gql("Query.meterableUnits", "query($z: String!) { meterableUnits(zoneId: $z) { id name } }", json!({"z": "twilight-zone"}), [O, No, O, No, O]),
        gql("Query.availabilityWeek", "query($g: String!, $p: String!) { availabilityWeek(dispatchGroupId: $g, programmeId: $p, weekCommencing: \"2025-02-24\") { dispatchGroupId dispatchGroup capacityKw } }", json!({"g": g, "p": sustain}), [O, No, O, No, O]),
        gql("Query.acceptanceDecisions", "{ acceptanceDecisions(weekCommencing: \"2025-02-24\") { dispatchGroupId dispatchGroup declaredKw } }", json!({}), [O, No, O, No, O]),
        gql("Query.baselineSeries", "query($u: String!) { baselineSeries(meterableUnitId: $u, from: \"2025-02-24T16:00:00Z\", to: \"2025-02-24T16:10:00Z\") { kw } }", json!({"u": u}), [O, No, O, No, O]),
        gql("Query.supportContacts", "{ supportContacts { operator name email } }", json!({}), [O, O, O, O, O]),
        gql("Query.dispatchSettings", "{ dispatchSettings { endpointUrl delivery emailContacts } }", json!({}), [O, O, No, No, O]),
        gql("Query.dispatches", "{ dispatches(from: \"2025-02-01T00:00:00Z\", to: \"2025-04-01T00:00:00Z\") { id dispatchGroupId messages { messageId } } }", json!({}), [O, No, O, No, O]),
        gql("Query.allocation", "query($p: String!) { allocation(programmeId: $p, start: \"2025-02-24T16:00:00Z\", end: \"2025-02-24T17:00:00Z\", requirementKw: 100) { lines { dispatchGroupId allocatedKw } } }", json!({"p": sustain}), [No, No, O, No, No]),
        gql("Query.dispatchMessageAttempts", "query($m: String!) { dispatchMessageAttempts(messageId: $m) { messageId statusCode } }", json!({"m": ids.message}), [O, No, O, No, O]),
        gql("Query.dispatch", "query($id: String!) { dispatch(id: $id) { id dispatchGroupId } }", json!({"id": ids.dispatch}), [O, No, O, No, O]),
        gql("Query.latestReadings", "query($u: String!) { latestReadings(meterableUnitId: $u) { meterableUnitId timestamp powerKw } }", json!({"u": u}), [O, No, O, No, O]),
        gql("Query.readings", "query($u: String!) { readings(meterableUnitId: $u, from: \"2025-02-24T16:00:00Z\", to: \"2025-02-24T17:00:00Z\") { readings { meterableUnitId powerKw } } }", json!({"u": u}), [O, No, O, No, O]),
        gql("Query.eventReports", "{ eventReports(month: \"2025-02\") { id dispatchGroup company } }", json!({}), [O, No, O, No, O]),
        gql("Query.eventReport", "query($id: String!) { eventReport(id: $id) { id dispatchGroup company deliveredKwh } }", json!({"id": ids.dispatch}), [O, No, O, No, O]),
        gql("Query.statements", "{ statements(month: \"2025-02\") { id company totalGbp } }", json!({}), [O, No, O, No, O]),
        gql("Query.sampleReports", "{ sampleReports { statement { company totalGbp } } }", json!({}), [O, No, No, No, O]),
        gql("Query.statement", "query($id: String!) { statement(id: $id) { statement { id company totalGbp } } }", json!({"id": ids.statement}), [O, No, O, No, O]),
        // Mutations that create what belongs to the caller alone.
        gql("Mutation.updateMyPreferences", "mutation { updateMyPreferences(preferences: {monthlyInvoices: true, weeklyAcceptedDeclarations: false, dailySchedules: false}) { monthlyInvoices } }", json!({}), [O, O, O, O, No]),
        gql("Mutation.createCompany", "mutation($c: NewCompanyInput!) { createCompany(input: $c) { id name } }", json!({"c": {"name": "Matrix {who} Ltd", "companiesHouseNumber": "SC70000{n}", "vatNumber": "GB98765432{n}", "billingAddress": "1 Matrix Road\nPerth"}}), [No, No, O, O, No]),
        gql("Mutation.setSupportContact", "mutation { setSupportContact(name: \"Flex Ops {who}\", email: \"ops-{who}@operator.example\") { operator name email } }", json!({}), [No, No, O, O, No]),
        gql("Mutation.createZone", "mutation { createZone(id: \"matrix-{who}\", name: \"Matrix {who}\", sandbox: false) { id } }", json!({}), [No, No, O, O, No]),
        Case { admin: Some(O), ..gql("Mutation.createOperator", "mutation { createOperator(name: \"Matrix Operator {who}\") { id } }", json!({}), [No, No, No, No, No]) },
        gql("Mutation.updateDispatchSettings", "mutation { updateDispatchSettings(endpointUrl: \"http://127.0.0.1:9/{who}\", delivery: API) { endpointUrl } }", json!({}), [O, O, No, No, No]),
        gql("Mutation.rotateSigningSecret", "mutation { rotateSigningSecret { secret } }", json!({}), [O, O, No, No, No]),
        // Mutations on A's objects.
        gql("Mutation.sendTestDispatch", "mutation($m: TestDispatchInput!) { sendTestDispatch(message: $m) { success } }", json!({"m": {"dispatchId": "TEST-0001", "instruction": "START", "start": "2025-03-24T16:00:00Z", "end": "2025-03-24T17:00:00Z", "powerChangeKw": 10.0, "meterableUnitIds": u}}), [O, No, No, No, O]),
        gql("Mutation.postReadings", "mutation($r: [ReadingInput!]!) { postReadings(readings: $r) { accepted } }", json!({"r": [{"meterableUnitId": u, "timestamp": "2025-03-20T08:00:00Z", "powerKw": 1.0}]}), [O, No, No, No, O]),
        gql("Mutation.createUser", "mutation($u: NewUserInput!) { createUser(input: $u) { id } }", json!({"u": {"email": "new-{who}@twilight.example", "name": "New", "role": "PARTICIPANT", "organisation": "Twilight Flex Ltd"}}), [No, No, O, No, No]),
        gql("Mutation.resetSecondFactor", "mutation($id: String!) { resetSecondFactor(id: $id) }", json!({"id": ids.victim}), [No, No, O, No, No]),
        Case { admin: Some(O), ..gql("Mutation.setPermittedDelivery", "mutation($c: String!) { setPermittedDelivery(companyId: $c, channels: [API, EMAIL]) { id permittedDelivery } }", json!({"c": ids.company}), [No, No, O, No, No]) },
        gql("Mutation.disableUser", "mutation($id: String!) { disableUser(id: $id) }", json!({"id": ids.victim}), [No, No, O, No, No]),
        gql("Mutation.declareAvailability", "mutation($g: String!, $p: String!, $w: WindowInput!) { declareAvailability(dispatchGroupId: $g, programmeId: $p, window: $w) { id } }", json!({"g": g, "p": sustain, "w": {"date": "2025-04-02", "start": "10:00", "end": "11:00", "kw": 50.0}}), [No, No, O, No, No]),
        gql("Mutation.updateAvailability", "mutation($id: String!, $w: WindowInput!) { updateAvailability(windowId: $id, window: $w) { id declaredKw } }", json!({"id": ids.declared_window, "w": window}), [No, No, O, No, No]),
        gql("Mutation.decideAvailability", "mutation($ids: [String!]!) { decideAvailability(windowIds: $ids, accept: true) { id status } }", json!({"ids": [ids.decidable_window]}), [No, No, O, No, No]),
        gql("Mutation.decideAvailabilityWeek", "mutation($g: String!, $p: String!) { decideAvailabilityWeek(dispatchGroupId: $g, programmeId: $p, weekCommencing: \"2025-03-24\", accept: true) { id status } }", json!({"g": g, "p": sustain}), [No, No, O, No, No]),
        gql("Mutation.removeAvailability", "mutation($id: String!) { removeAvailability(windowId: $id) }", json!({"id": ids.declared_window}), [No, No, O, No, No]),
        gql("Mutation.setBaseline", "mutation($u: String!) { setBaseline(meterableUnitId: $u, method: STATIC, staticKw: 5) }", json!({"u": u}), [No, No, O, No, No]),
        gql("Mutation.uploadBaselineTemplate", "mutation($u: String!, $csv: String!) { uploadBaselineTemplate(meterableUnitId: $u, csv: $csv) }", json!({"u": u, "csv": weekly_template()}), [No, No, O, No, No]),
        gql("Mutation.updateZone", "mutation { updateZone(id: \"twilight-zone\", name: \"Twilight Zone\", sandbox: true) { id } }", json!({}), [No, No, O, No, No]),
        gql("Mutation.createProgramme", "mutation { createProgramme(zoneId: \"twilight-zone\", kind: SUSTAIN, auction: true) { id } }", json!({}), [No, No, O, No, No]),
        gql("Mutation.updateProgrammePolicy", "mutation($p: String!, $policy: ProgrammePolicyInput!) { updateProgrammePolicy(programmeId: $p, policy: $policy) { id } }", json!({"p": sustain, "policy": ids.policy}), [No, No, O, No, No]),
        gql("Mutation.setPrice", "mutation($g: String!, $p: String!) { setPrice(dispatchGroupId: $g, programmeId: $p, price: {availabilityPrice: 95.55, utilisationPrice: 1.99, unitCeiling: null}) { id } }", json!({"g": g, "p": sustain}), [No, No, O, No, No]),
        gql("Mutation.createDispatchGroup", "mutation($g: DispatchGroupInput!) { createDispatchGroup(zoneId: \"twilight-zone\", company: \"Twilight Flex Ltd\", group: $g) { id } }", json!({"g": group_input("Matrix {who}")}), [No, No, O, No, No]),
        gql("Mutation.updateDispatchGroup", "mutation($id: String!, $g: DispatchGroupInput!) { updateDispatchGroup(id: $id, group: $g) { id } }", json!({"id": ids.spare_group, "g": group_input("Spare {who}")}), [No, No, O, No, No]),
        gql("Mutation.createMeterableUnit", "mutation($g: String!) { createMeterableUnit(dispatchGroupId: $g, unit: {name: \"Matrix MU {who}\", meteringGranularity: PER_MINUTE}) { id } }", json!({"g": g}), [No, No, O, No, No]),
        gql("Mutation.updateMeterableUnit", "mutation($id: String!) { updateMeterableUnit(id: $id, unit: {name: \"Spare MU {who}\", meteringGranularity: PER_MINUTE}) { id } }", json!({"id": ids.spare_unit}), [No, No, O, No, No]),
        gql("Mutation.retireMeterableUnit", "mutation($id: String!) { retireMeterableUnit(id: $id) }", json!({"id": ids.spare_unit}), [No, No, O, No, No]),
        gql("Mutation.retireDispatchGroup", "mutation($id: String!) { retireDispatchGroup(id: $id) }", json!({"id": ids.spare_group}), [No, No, O, No, No]),
        gql("Mutation.createDispatch", "mutation($d: DispatchInput!) { createDispatch(dispatch: $d) { id } }", json!({"d": future_restore("2025-03-22T10:00:00Z", "2025-03-22T10:30:00Z")}), [No, No, O, No, No]),
        gql("Mutation.createDispatches", "mutation($d: [DispatchInput!]!) { createDispatches(dispatches: $d) { id } }", json!({"d": [future_restore("2025-03-22T12:00:00Z", "2025-03-22T12:30:00Z")]}), [No, No, O, No, No]),
        gql("Mutation.resendDispatchMessage", "mutation($m: String!) { resendDispatchMessage(messageId: $m) { id } }", json!({"m": ids.message}), [No, No, O, No, No]),
        gql("Mutation.cancelDispatch", "mutation($id: String!) { cancelDispatch(id: $id) { id status } }", json!({"id": ids.cancel}), [No, No, O, No, No]),
        gql("Mutation.emergencyStop", "mutation($id: String!) { emergencyStop(id: $id) { id status } }", json!({"id": ids.stop}), [No, No, O, No, No]),
        gql("Mutation.reissueStatement", "mutation($id: String!) { reissueStatement(id: $id, reason: \"matrix\") { id version } }", json!({"id": ids.statement}), [No, No, O, No, No]),
        gql("Mutation.removePasskey", "mutation($id: String!) { removePasskey(id: $id) }", json!({"id": ids.passkey}), [O, No, No, No, No]),
        Case {
            route: "Subscription.dispatchMessages".to_owned(),
            call: Call::Subscription {
                query: "subscription { dispatchMessages(since: \"2025-02-20T00:00:00Z\") { messageId dispatchId body } }".to_owned(),
            },
            expect: [O, No, No, No, O],
            admin: None,
            public: false,
        },
        // REST: the Participant API.
        get("/api/v2/zones", "/api/v2/zones".to_owned(), None, [O, O, O, O, O]),
        get("/api/v2/dispatch-groups", "/api/v2/dispatch-groups?zone_id=twilight-zone&week_commencing=2025-02-24".to_owned(), None, [O, No, O, No, O]),
        get("/api/v2/dispatch-groups/{id}", format!("/api/v2/dispatch-groups/{g}"), None, [O, No, O, No, O]),
        get("/api/v2/meterable-units", "/api/v2/meterable-units?zone_id=twilight-zone".to_owned(), None, [O, No, O, No, O]),
        get("/api/v2/meterable-units/{id}", format!("/api/v2/meterable-units/{u}"), None, [O, No, O, No, O]),
        post("/api/v2/readings", "/api/v2/readings".to_owned(), reading, "application/json", [O, No, No, No, O]),
        post("/api/v2/readings/csv", "/api/v2/readings/csv".to_owned(), format!("meterable_unit_id,timestamp,power_kw\n{u},2025-03-20T08:30:00Z,2.0\n"), "text/csv", [O, No, No, No, O]),
        get("/api/v2/readings", format!("/api/v2/readings?meterable_unit_id={u}&from=2025-02-24T16:00:00Z&to=2025-02-24T17:00:00Z"), Some("text/csv"), [O, No, O, No, O]),
        get("/api/v2/readings/latest", format!("/api/v2/readings/latest?meterable_unit_id={u}"), None, [O, No, O, No, O]),
        get("/api/v2/availability", format!("/api/v2/availability?dispatch_group_id={g}&programme_id={sustain}&week_commencing=2025-02-24"), None, [O, No, O, No, O]),
        get("/api/v2/accepted-availability", "/api/v2/accepted-availability?week_commencing=2025-02-24&format=csv".to_owned(), None, [O, No, O, No, O]),
        get("/api/v2/dispatches", "/api/v2/dispatches?from=2025-02-01T00:00:00Z&to=2025-04-01T00:00:00Z".to_owned(), None, [O, No, O, No, O]),
        get("/api/v2/dispatches/{id}", format!("/api/v2/dispatches/{}", ids.dispatch), None, [O, No, O, No, O]),
        get("/api/v2/event-reports", "/api/v2/event-reports?month=2025-02".to_owned(), Some("text/csv"), [O, No, O, No, O]),
        get("/api/v2/event-reports/zip", "/api/v2/event-reports/zip?month=2025-02".to_owned(), None, [O, No, O, No, O]),
        get("/api/v2/event-reports/{id}", format!("/api/v2/event-reports/{}?report=earnings&format=pdf", ids.dispatch), None, [O, No, O, No, O]),
        get("/api/v2/statements", "/api/v2/statements?month=2025-02&format=csv".to_owned(), None, [O, No, O, No, O]),
        get("/api/v2/statements/zip", "/api/v2/statements/zip?month=2025-02".to_owned(), None, [O, No, O, No, O]),
        get("/api/v2/statements/{id}", format!("/api/v2/statements/{}?format=csv", ids.statement), None, [O, No, O, No, O]),
        get("/api/v2/sample-reports/{kind}", "/api/v2/sample-reports/statement?format=csv".to_owned(), None, [O, No, No, No, O]),
        Case { public: true, ..get("/api/v2/openapi.json", "/api/v2/openapi.json".to_owned(), None, [O, O, O, O, O]) },
        // Signing in acts only on the caller's own session or on a link's own token; no
        // other tenant's id can be named in them.
        elsewhere("POST /auth/login", "the caller's own credentials (tests/api/accounts.rs, security.rs)"),
        elsewhere("GET /auth/totp/setup", "the caller's own pending session"),
        elsewhere("POST /auth/totp/setup", "the caller's own pending session"),
        elsewhere("POST /auth/totp", "the caller's own pending session"),
        elsewhere("POST /auth/activate", "a single-use link token, not an id"),
        elsewhere("POST /auth/logout", "the caller's own session"),
        elsewhere("POST /auth/password/forgot", "answers alike for every address"),
        elsewhere("POST /auth/password", "the caller's own password (security.rs)"),
        elsewhere("POST /auth/step-up", "the caller's own session (security.rs)"),
        elsewhere("POST /auth/passkey/register/begin", "the caller's own session"),
        elsewhere("POST /auth/passkey/register/finish", "the caller's own session"),
        elsewhere("POST /auth/passkey/begin", "the caller's own pending session"),
        elsewhere("POST /auth/passkey/finish", "the caller's own pending session"),
        // Destructive for A's token: last.
        gql("Mutation.createApiToken", "mutation { createApiToken { token } }", json!({}), [O, O, No, No, No]),
    ]
}

/// A nominated weekly template for a per-minute unit: 0 kW at every minute.
fn weekly_template() -> String {
    let mut csv = String::from("day_of_week,local_time,power_kw\n");
    for day in [
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
        "SUNDAY",
    ] {
        for minute in 0..24 * 60 {
            csv.push_str(&format!("{day},{:02}:{:02},0\n", minute / 60, minute % 60));
        }
    }
    csv
}

/// Every GraphQL root field of the live schema, as `Query.x`, `Mutation.x`,
/// `Subscription.x`.
async fn schema_fields(app: &TestApp) -> BTreeSet<String> {
    let data = app
        .graphql(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }",
            json!({}),
        )
        .await;
    let mut fields = BTreeSet::new();
    for (kind, key) in [
        ("Query", "queryType"),
        ("Mutation", "mutationType"),
        ("Subscription", "subscriptionType"),
    ] {
        for field in data["data"]["__schema"][key]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("{data}"))
        {
            fields.insert(format!("{kind}.{}", field["name"].as_str().expect("name")));
        }
    }
    fields
}

/// Every REST route the router serves, from its route table.
fn rest_routes() -> BTreeSet<String> {
    backend::rest::route_list()
        .into_iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect()
}

async fn no_caller_reads_or_writes_another_tenants_data(engine: Engine) {
    let world = World::build(engine).await;
    let cases = cases(&world.ids);
    let declared: BTreeSet<String> = cases.iter().map(|c| c.route.clone()).collect();
    let mut served = schema_fields(&world.app).await;
    served.extend(rest_routes());
    let missing: Vec<&String> = served.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the tenancy table: {missing:?}"
    );
    let stale: Vec<&String> = declared.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "table entries for routes that do not exist: {stale:?}"
    );

    let mut failures = Vec::new();
    for case in &cases {
        if let Call::Elsewhere(why) = case.call {
            assert!(!why.is_empty(), "{}: say where it is covered", case.route);
            continue;
        }
        let order = [Who::B, Who::Npg, Who::Token, Who::Ssen, Who::A];
        let mut anyone_allowed = false;
        for (n, who) in order.into_iter().enumerate() {
            let expect = case.expect[match who {
                Who::A => 0,
                Who::B => 1,
                Who::Ssen => 2,
                Who::Npg => 3,
                Who::Token => 4,
                Who::Admin => unreachable!(),
            }];
            anyone_allowed |= expect == O;
            if let Err(why) = world.check(case, who, n, expect).await {
                failures.push(format!("{} as {who:?}: {why}", case.route));
            }
        }
        if let Some(expect) = case.admin {
            anyone_allowed |= expect == O;
            if let Err(why) = world.check(case, Who::Admin, 9, expect).await {
                failures.push(format!("{} as Admin: {why}", case.route));
            }
        }
        // A call nobody may make proves nothing about who may not.
        assert!(
            anyone_allowed,
            "{}: no caller is allowed, so the call is unproven",
            case.route
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
