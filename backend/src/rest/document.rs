//! The OpenAPI document as served: what the handlers' annotations generate, plus what every
//! operation shares because of where it is mounted (authentication, throttling, parameter
//! and body refusals) and the links between operations.

use super::{ApiDoc, contract};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Json;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder, schema::Type,
};

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v2/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(document_json(crate::auth::cookie_name(&state)))
}

/// The document as served: [`document`] with the OpenAPI 3.1 `webhooks` section, which the
/// generator does not model.
pub fn document_json(session_cookie: &str) -> serde_json::Value {
    let mut doc = serde_json::to_value(document(session_cookie)).unwrap_or_default();
    doc["webhooks"] = contract::webhooks();
    add_links(&mut doc);
    doc
}

/// The OpenAPI document, with the actions reserved to operators spelled out (guide §3.2).
/// The session cookie's name depends on the deployment (`__Host-` only over https).
pub fn document(session_cookie: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let mut description = doc.info.description.take().unwrap_or_default();
    description.push_str(
        "\n\nNot permitted to FSP participants (the operator performs these on their behalf; \
         the API answers 403 FORBIDDEN):\n",
    );
    for action in shared::OPERATOR_ONLY_ACTIONS {
        description.push_str(&format!("- {action}\n"));
    }
    description.push_str("\nError codes:\n");
    for (code, meaning) in shared::ERROR_CODES {
        description.push_str(&format!("- `{code}`: {meaning}\n"));
    }
    doc.info.description = Some(description);

    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    };
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "api_token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("oflx_…")
                .description(Some(
                    "The company's API token (API Testing › My API Access Tokens)",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            session_cookie,
            "A signed-in browser session: the cookie `/auth/totp` (or a passkey) sets once \
             both factors are given",
        ))),
    );
    components.add_security_scheme(
        "sign_in",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            session_cookie,
            "The same cookie while a sign-in waits for its next step: set by `/auth/login`, \
             good only for the step its `next` names",
        ))),
    );
    doc.security = Some(vec![
        SecurityRequirement::new("api_token", Vec::<String>::new()),
        SecurityRequirement::new("session", Vec::<String>::new()),
    ]);
    for (path, item) in doc.paths.paths.iter_mut() {
        let participant_api = path.starts_with("/api/v2/") && path != "/api/v2/openapi.json";
        // Every sign-in POST refuses a browser's cross-site request.
        if let Some(operation) = item.post.as_mut().filter(|_| path.starts_with("/auth/")) {
            operation.responses.responses.entry("403".to_owned()).or_insert(RefOr::T(problem(
                "A browser's cross-site request (`Sec-Fetch-Site: cross-site` or a foreign `Origin`)",
            )));
        }
        for operation in operations(item) {
            if path == "/api/v2/openapi.json" {
                operation.security = Some(vec![SecurityRequirement::default()]);
            }
            shared_responses(operation, participant_api);
        }
    }
    doc
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.post].into_iter().flatten()
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemDetails")))
                .build(),
        )
        .build()
}

/// The answers an operation gives because of where it is mounted, not what it does: every
/// Participant API route authenticates (401) and is throttled (429); any parameter can be
/// malformed (400); a body can be malformed, too large or of another type (400, 413, 415).
fn shared_responses(operation: &mut Operation, participant_api: bool) {
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = operation.request_body.is_some();
    let mut add = |status: &str, response: Response| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert(RefOr::T(response));
    };
    if has_parameters || has_body {
        add(
            "400",
            problem("A parameter or the body is malformed; `errors` names it"),
        );
    }
    if has_body {
        add("413", problem("The body is larger than the server takes"));
        add(
            "415",
            problem("The body is not of the documented content type"),
        );
    }
    if participant_api {
        add("401", problem("No valid API token or session"));
        let mut throttled = problem(
            "Too many requests with this credential (or from this address) in the last \
             minute; retry after `Retry-After` seconds",
        );
        throttled.headers.insert(
            "Retry-After".to_owned(),
            HeaderBuilder::new()
                .schema(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                )
                .description(Some("Seconds to wait"))
                .build(),
        );
        add("429", throttled);
    }
}

/// Where an answer's ids lead: from one operation's 200 answer, by a name, to another
/// operation with (parameter, runtime expression) pairs. They let a client (and the
/// fuzzer's stateful phase) follow an id it has read into the next request.
struct Link {
    from: &'static str,
    name: &'static str,
    to: &'static str,
    parameters: &'static [(&'static str, &'static str)],
}

const fn link(
    from: &'static str,
    name: &'static str,
    to: &'static str,
    parameters: &'static [(&'static str, &'static str)],
) -> Link {
    Link {
        from,
        name,
        to,
        parameters,
    }
}

const FIRST_ID: &str = "$response.body#/0/id";
const FIRST_GROUP: &str = "$response.body#/dispatch_groups/0/id";

#[rustfmt::skip]
const LINKS: &[Link] = &[
    link("zones", "DispatchGroups", "dispatch_groups", &[("zone_id", FIRST_ID)]),
    link("zones", "MeterableUnits", "meterable_units", &[("zone_id", FIRST_ID)]),
    link("zones", "EventReports", "event_reports", &[("zone_id", FIRST_ID)]),
    link("dispatch_groups", "DispatchGroup", "dispatch_group", &[("id", FIRST_GROUP)]),
    link("dispatch_groups", "Availability", "availability_week", &[
        ("dispatch_group_id", FIRST_GROUP),
        ("programme_id", "$response.body#/dispatch_groups/0/prices/0/programme/id"),
        ("week_commencing", "$response.body#/week_commencing"),
    ]),
    link("dispatch_groups", "AcceptedAvailability", "accepted_availability",
        &[("week_commencing", "$response.body#/week_commencing")]),
    link("meterable_units", "MeterableUnit", "meterable_unit", &[("id", FIRST_ID)]),
    link("meterable_units", "LatestReadings", "latest_readings", &[("meterable_unit_id", FIRST_ID)]),
    link("meterable_unit", "LatestReadings", "latest_readings",
        &[("meterable_unit_id", "$response.body#/id")]),
    link("ingest_readings", "LatestReadings", "latest_readings",
        &[("meterable_unit_id", "$request.body#/readings/0/meterable_unit_id")]),
    link("export_readings", "NextPage", "export_readings", &[
        ("meterable_unit_id", "$request.query.meterable_unit_id"),
        ("from", "$request.query.from"),
        ("to", "$request.query.to"),
        ("cursor", "$response.body#/next_cursor"),
    ]),
    link("dispatches", "Dispatch", "dispatch", &[("id", FIRST_ID)]),
    link("dispatches", "EventReport", "event_report", &[("id", FIRST_ID)]),
    link("dispatch", "EventReport", "event_report", &[("id", "$response.body#/id")]),
    link("event_reports", "EventReport", "event_report", &[("id", "$response.body#/0/dispatch_id")]),
    link("statements", "Statement", "statement", &[("id", FIRST_ID)]),
];

/// Written into the JSON: utoipa 5 spells the Link Object's `operationId` in snake case.
fn add_links(doc: &mut serde_json::Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
        for operation in item.values_mut() {
            let from = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            for link in LINKS.iter().filter(|l| l.from == from) {
                let parameters: serde_json::Map<String, serde_json::Value> = link
                    .parameters
                    .iter()
                    .map(|(p, e)| ((*p).to_owned(), (*e).into()))
                    .collect();
                if let Some(response) = operation["responses"]["200"].as_object_mut() {
                    response
                        .entry("links")
                        .or_insert_with(|| serde_json::json!({}))[link.name] =
                        serde_json::json!({"operationId": link.to, "parameters": parameters});
                }
            }
        }
    }
}
