//! Zones, dispatch groups and meterable units over REST and GraphQL, with tenancy.

use crate::helpers::{
    Engine, OTHER, SSEN, TWILIGHT, TestApp, both_databases, error_code, refused_argument, test_now,
};
use axum::http::StatusCode;
use serde_json::{Value, json};

both_databases!(
    participant_sees_only_zones_with_its_own_dispatch_groups,
    operator_sees_all_of_its_zones,
    twilight_zone_cards_carry_the_guides_runtimes_and_prices,
    another_fsps_zone_is_not_found_on_rest_and_graphql,
    participant_sees_only_its_own_groups_in_a_shared_zone,
    unknown_zone_is_a_404_problem,
    malformed_week_commencing_is_a_400_naming_the_parameter,
    any_date_of_a_week_finds_the_week,
    missing_zone_id_is_a_400_naming_the_parameter,
    meterable_units_of_a_zone_include_both_granularities,
    graphql_dispatch_groups_match_rest,
    graphql_bad_week_is_refused_naming_the_argument,
    listing_round_trips_do_not_grow_with_the_number_of_groups,
    another_tenants_group_and_unit_are_not_found_by_id,
    operator_of_another_operator_sees_none_of_its_zones,
);

/// Public ids of a dispatch group and its first meterable unit in `zone`, as an operator
/// that runs the zone sees them.
async fn ids_in(app: &TestApp, zone: &str) -> (String, String) {
    let body = app
        .get(&format!("/api/v2/dispatch-groups?zone_id={zone}"))
        .await
        .json();
    let group = &body["dispatch_groups"][0];
    (
        group["id"].as_str().expect("group id").to_owned(),
        group["meterable_units"][0]["id"]
            .as_str()
            .expect("unit id")
            .to_owned(),
    )
}

async fn another_tenants_group_and_unit_are_not_found_by_id(engine: Engine) {
    let ssen = TestApp::spawn(engine, Some(SSEN)).await;
    let (skye_group, skye_unit) = ids_in(&ssen, "isle-of-skye").await;
    let (twilight_group, twilight_unit) = ids_in(&ssen, "twilight-zone").await;
    // Same database, other callers: sign each up on the app that holds the ids.
    let twilight = ssen.sign_up_participant("a@twilight.example").await;

    let own = ssen
        .get_with(
            &format!("/api/v2/dispatch-groups/{twilight_group}"),
            &twilight.cookie,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    assert_eq!(
        ssen.get_with(
            &format!("/api/v2/meterable-units/{twilight_unit}"),
            &twilight.cookie
        )
        .await
        .status,
        StatusCode::OK
    );
    for uri in [
        format!("/api/v2/dispatch-groups/{skye_group}"),
        format!("/api/v2/meterable-units/{skye_unit}"),
        "/api/v2/dispatch-groups/AAAAAAAAAAAAAAAAAAAA".to_owned(),
    ] {
        let response = ssen.get_with(&uri, &twilight.cookie).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(response.content_type(), "application/problem+json");
    }
    for (query, id) in [
        (
            "query($id: String!) { dispatchGroup(id: $id) { id name } }",
            &skye_group,
        ),
        (
            "query($id: String!) { meterableUnit(id: $id) { id name } }",
            &skye_unit,
        ),
    ] {
        let response = ssen
            .graphql_as(&twilight.cookie, query, json!({"id": id}))
            .await;
        assert_eq!(error_code(&response), Some("NOT_FOUND"), "{response}");
        assert_eq!(response["data"], Value::Null);
    }
    let mine = ssen
        .graphql_as(
            &twilight.cookie,
            "query($id: String!) { dispatchGroup(id: $id) { name } }",
            json!({"id": twilight_group}),
        )
        .await;
    assert!(mine["data"]["dispatchGroup"]["name"].is_string(), "{mine}");
}

async fn operator_of_another_operator_sees_none_of_its_zones(engine: Engine) {
    let ssen = TestApp::spawn(engine, Some(SSEN)).await;
    let (group, unit) = ids_in(&ssen, "twilight-zone").await;
    let link = ssen
        .invite(
            "ops@npg.example",
            shared::Role::Operator,
            Some("Northern Powergrid"),
        )
        .await;
    let npg = ssen.complete_sign_up("ops@npg.example", &link).await;
    let zones = ssen.get_with("/api/v2/zones", &npg.cookie).await.json();
    assert_eq!(zone_ids(&zones), ["tyneside"]);
    for uri in [
        format!("/api/v2/dispatch-groups/{group}"),
        format!("/api/v2/meterable-units/{unit}"),
        "/api/v2/dispatch-groups?zone_id=twilight-zone".to_owned(),
        "/api/v2/meterable-units?zone_id=twilight-zone".to_owned(),
    ] {
        let response = ssen.get_with(&uri, &npg.cookie).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{uri}");
    }
    let response = ssen
        .graphql_as(
            &npg.cookie,
            "query($id: String!) { dispatchGroup(id: $id) { id } }",
            json!({"id": group}),
        )
        .await;
    assert_eq!(error_code(&response), Some("NOT_FOUND"));
}

fn zone_ids(zones: &Value) -> Vec<String> {
    zones
        .as_array()
        .expect("array of zones")
        .iter()
        .map(|z| z["id"].as_str().expect("zone id").to_owned())
        .collect()
}

async fn participant_sees_only_zones_with_its_own_dispatch_groups(engine: Engine) {
    let twilight = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let zones = twilight.get("/api/v2/zones").await;
    assert_eq!(zones.status, StatusCode::OK);
    assert_eq!(
        zone_ids(&zones.json()),
        ["electralink-zone-1", "twilight-zone"]
    );
    let sandbox = &zones.json()[1];
    assert_eq!(sandbox["sandbox"], true);
    assert_eq!(sandbox["operator_name"], "SSEN");
    let programmes: Vec<&str> = sandbox["programmes"]
        .as_array()
        .expect("programmes")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        programmes,
        [
            "Sustain",
            "Secure",
            "Secure (auction)",
            "Dynamic",
            "Dynamic (auction)",
            "Restore",
            "Emergency Flex"
        ]
    );

    let other = TestApp::spawn(engine, Some(OTHER)).await;
    assert_eq!(
        zone_ids(&other.get("/api/v2/zones").await.json()),
        ["isle-of-skye", "tyneside"]
    );
}

async fn operator_sees_all_of_its_zones(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    let response = app
        .graphql("{ zones { id name sandbox } }", json!({}))
        .await;
    assert_eq!(
        zone_ids(&response["data"]["zones"]),
        ["electralink-zone-1", "isle-of-skye", "twilight-zone"]
    );
}

async fn twilight_zone_cards_carry_the_guides_runtimes_and_prices(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app
        .get("/api/v2/dispatch-groups?zone_id=twilight-zone&week_commencing=2025-02-17")
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["week_commencing"], "2025-02-17");
    let groups = body["dispatch_groups"].as_array().expect("groups");
    let api_test = groups
        .iter()
        .find(|g| g["name"] == "API Test")
        .expect("API Test");
    assert_eq!(api_test["min_runtime_minutes"], 30);
    assert_eq!(api_test["max_runtime_minutes"], Value::Null);
    assert_eq!(api_test["weekly_runtime_minutes"], Value::Null);
    assert_eq!(api_test["id"].as_str().map(str::len), Some(20));
    let sustain = &api_test["prices"][0];
    assert_eq!(sustain["programme"]["name"], "Sustain");
    assert_eq!(sustain["programme"]["product_code"], "SU");
    assert_eq!(sustain["availability_price"], 95.55);
    assert_eq!(sustain["utilisation_price"], 1.99);
    assert_eq!(
        api_test["meterable_units"][0]["id"],
        backend::seed::API_TEST_UNIT_ID
    );

    let atestdv = groups
        .iter()
        .find(|g| g["name"] == "ATestDV")
        .expect("ATestDV");
    assert_eq!(
        [
            &atestdv["min_runtime_minutes"],
            &atestdv["max_runtime_minutes"],
            &atestdv["weekly_runtime_minutes"]
        ],
        [&json!(60), &json!(120), &json!(240)]
    );
    assert_eq!(atestdv["marketplace_units"], json!(["5VTest1"]));
    assert_eq!(atestdv["prices"].as_array().map(Vec::len), Some(6));
}

async fn another_fsps_zone_is_not_found_on_rest_and_graphql(engine: Engine) {
    let other = TestApp::spawn(engine, Some(OTHER)).await;
    for uri in [
        "/api/v2/dispatch-groups?zone_id=twilight-zone",
        "/api/v2/meterable-units?zone_id=twilight-zone",
    ] {
        let response = other.get(uri).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(response.content_type(), "application/problem+json");
    }
    for query in [
        r#"{ dispatchGroups(zoneId: "twilight-zone") { id } }"#,
        r#"{ meterableUnits(zoneId: "twilight-zone") { id } }"#,
    ] {
        let response = other.graphql(query, json!({})).await;
        assert_eq!(error_code(&response), Some("NOT_FOUND"), "{response}");
        assert_eq!(response["data"], Value::Null);
    }
}

async fn participant_sees_only_its_own_groups_in_a_shared_zone(engine: Engine) {
    let app = TestApp::spawn(engine, Some(OTHER)).await;
    let body = app
        .get("/api/v2/dispatch-groups?zone_id=isle-of-skye")
        .await
        .json();
    let companies: Vec<&str> = body["dispatch_groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["company_name"].as_str().expect("company"))
        .collect();
    assert_eq!(companies, ["Other Flex Ltd"]);
}

/// An id of the right shape that names no zone is not found; one of the wrong shape is a
/// malformed parameter (the document's pattern says which).
async fn unknown_zone_is_a_404_problem(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app
        .get("/api/v2/dispatch-groups?zone_id=NOT%20A%20SLUG")
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["errors"][0]["field"], "zone_id");
    for uri in [
        "/api/v2/dispatch-groups?zone_id=nope",
        "/api/v2/meterable-units?zone_id=nope",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(response.content_type(), "application/problem+json");
        let problem = response.json();
        assert_eq!(problem["status"], 404);
        assert_eq!(problem["code"], "NOT_FOUND");
        assert!(problem["correlation_id"].is_string());
    }
}

async fn malformed_week_commencing_is_a_400_naming_the_parameter(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app
        .get("/api/v2/dispatch-groups?zone_id=twilight-zone&week_commencing=2025-13-01")
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.content_type(), "application/problem+json");
    let problem = response.json();
    assert_eq!(problem["errors"][0]["field"], "week_commencing");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("week_commencing"))
    );
}

/// A week is named by its Monday; any other date of it finds the same week (a rule the
/// document's `format: date` can state, where "a Monday" could not be).
async fn any_date_of_a_week_finds_the_week(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    for date in ["2025-02-17", "2025-02-18", "2025-02-23"] {
        let response = app
            .get(&format!(
                "/api/v2/dispatch-groups?zone_id=twilight-zone&week_commencing={date}"
            ))
            .await;
        assert_eq!(response.status, StatusCode::OK, "{date}");
        assert_eq!(response.json()["week_commencing"], "2025-02-17", "{date}");
    }
}

async fn missing_zone_id_is_a_400_naming_the_parameter(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    for uri in ["/api/v2/dispatch-groups", "/api/v2/meterable-units"] {
        let response = app.get(uri).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(response.json()["errors"][0]["field"], "zone_id");
    }
}

async fn meterable_units_of_a_zone_include_both_granularities(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app
        .get("/api/v2/meterable-units?zone_id=twilight-zone")
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let units = response.json();
    let granularities: Vec<&str> = units
        .as_array()
        .expect("units")
        .iter()
        .map(|u| u["metering_granularity"].as_str().expect("granularity"))
        .collect();
    assert!(granularities.contains(&"PER_MINUTE"), "{units}");
    assert!(granularities.contains(&"HALF_HOURLY"), "{units}");
    assert!(
        units
            .as_array()
            .expect("units")
            .iter()
            .all(|u| u["zone_id"] == "twilight-zone")
    );
}

async fn graphql_dispatch_groups_match_rest(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let gql = app
        .graphql(
            r#"query($z: String!) { dispatchGroups(zoneId: $z, weekCommencing: "2025-02-17") {
                id name minRuntimeMinutes prices { programme { name } availabilityPrice } } }"#,
            json!({"z": "twilight-zone"}),
        )
        .await;
    let rest = app
        .get("/api/v2/dispatch-groups?zone_id=twilight-zone&week_commencing=2025-02-17")
        .await
        .json();
    let gql_ids: Vec<&Value> = gql["data"]["dispatchGroups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| &g["id"])
        .collect();
    let rest_ids: Vec<&Value> = rest["dispatch_groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| &g["id"])
        .collect();
    assert_eq!(gql_ids, rest_ids);
    assert_eq!(
        gql["data"]["dispatchGroups"][0]["prices"][0]["availabilityPrice"],
        95.55
    );
}

async fn graphql_bad_week_is_refused_naming_the_argument(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    let response = app
        .graphql(
            r#"{ dispatchGroups(zoneId: "twilight-zone", weekCommencing: "2025-13-01") { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        refused_argument(&response),
        Some("weekCommencing"),
        "{response}"
    );
    // As a variable too, whatever type the operation declared it with.
    let response = app
        .graphql(
            r#"query($w: String) { dispatchGroups(zoneId: "twilight-zone", weekCommencing: $w) { id } }"#,
            json!({"w": "2025-13-01"}),
        )
        .await;
    assert_eq!(
        refused_argument(&response),
        Some("weekCommencing"),
        "{response}"
    );
}

async fn listing_round_trips_do_not_grow_with_the_number_of_groups(engine: Engine) {
    let app = TestApp::spawn(engine, Some(TWILIGHT)).await;
    backend::testing::add_priced_zone(&app.db, "small-zone", 2, test_now())
        .await
        .expect("small zone");
    backend::testing::add_priced_zone(&app.db, "large-zone", 40, test_now())
        .await
        .expect("large zone");
    let query = r#"query($z: String!) { dispatchGroups(zoneId: $z) {
        id marketplaceUnits meterableUnits { id } prices { programme { name } unitCeiling } } }"#;
    let mut counts = Vec::new();
    for (zone, groups) in [("small-zone", 2), ("large-zone", 40)] {
        counts.push(
            app.count_queries(async || {
                let response = app.graphql(query, json!({ "z": zone })).await;
                assert!(response["errors"].is_null(), "{response}");
                let listed = response["data"]["dispatchGroups"].as_array().map(Vec::len);
                assert_eq!(listed, Some(groups), "{zone}");
            })
            .await,
        );
        counts.push(
            app.count_queries(async || {
                let response = app
                    .get(&format!("/api/v2/dispatch-groups?zone_id={zone}"))
                    .await;
                assert_eq!(response.status, StatusCode::OK);
                assert_eq!(
                    response.json()["dispatch_groups"].as_array().map(Vec::len),
                    Some(groups),
                    "{zone}"
                );
            })
            .await,
        );
    }
    assert!(counts[0] > 0, "the metric callback saw no queries");
    assert_eq!(
        counts[0], counts[2],
        "GraphQL queries grew with the rows: {counts:?}"
    );
    assert_eq!(
        counts[1], counts[3],
        "REST queries grew with the rows: {counts:?}"
    );
}
