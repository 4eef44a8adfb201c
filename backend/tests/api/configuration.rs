//! Operator configuration: prices and their ceilings, programme policies, zones, dispatch
//! groups and meterable units, each change audited; FSPs read, never write.

use crate::helpers::{
    Engine, SSEN, TestApp, TwilightIds, both_databases, error_code, refused_argument, twilight_ids,
};
use backend::db::entities::audit_events;
use backend::seed::API_TEST_UNIT_ID;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

both_databases!(
    a_price_above_the_unit_ceiling_is_kept_with_a_warning,
    a_programme_policy_is_checked_and_moves_the_lock,
    zones_are_created_with_their_programmes_and_renamed,
    dispatch_groups_and_units_are_created_changed_and_retired,
);

async fn audited(app: &TestApp, event: &str) -> u64 {
    audit_events::Entity::find()
        .filter(audit_events::Column::Event.eq(event))
        .count(&app.db)
        .await
        .expect("count")
}

const SET_PRICE: &str = "mutation($g: String!, $p: String!, $price: PriceInput!) { setPrice(dispatchGroupId: $g, programmeId: $p, price: $price) { prices { programme { kind } availabilityPrice utilisationPrice unitCeiling warning } } }";

async fn a_price_above_the_unit_ceiling_is_kept_with_a_warning(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    let TwilightIds { group, sustain, .. } = twilight_ids(&app).await;
    let price = |a: Value, u: Value, c: Value| json!({"g": group, "p": sustain, "price": {"availabilityPrice": a, "utilisationPrice": u, "unitCeiling": c}});
    let sustain_row = |answer: &Value| {
        answer["data"]["setPrice"]["prices"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
            .iter()
            .find(|p| p["programme"]["kind"] == "SUSTAIN")
            .cloned()
            .unwrap_or_else(|| panic!("{answer}"))
    };
    // The guide's own tables hold prices above their ceiling: kept, with a warning, and
    // settlement pays at most the ceiling.
    let above = app
        .graphql(SET_PRICE, price(json!(95.55), json!(120.0), json!(100.0)))
        .await;
    assert_eq!(sustain_row(&above)["utilisationPrice"], 120.0, "{above}");
    assert_eq!(
        sustain_row(&above)["warning"],
        "utilisation £120.00 above the unit ceiling of £100.00: settlement pays at most the ceiling",
        "{above}"
    );
    let pennies = app
        .graphql(SET_PRICE, price(json!(1.005), json!(2.0), Value::Null))
        .await;
    assert_eq!(
        pennies["errors"][0]["extensions"]["field"], "availabilityPrice",
        "{pennies}"
    );

    let set = app
        .graphql(SET_PRICE, price(json!(95.55), json!(99.99), json!(100.0)))
        .await;
    let row = set["data"]["setPrice"]["prices"]
        .as_array()
        .expect("prices")
        .iter()
        .find(|p| p["programme"]["kind"] == "SUSTAIN")
        .cloned()
        .unwrap_or_else(|| panic!("{set}"));
    assert_eq!(
        row,
        json!({"programme": {"kind": "SUSTAIN"}, "availabilityPrice": 95.55, "utilisationPrice": 99.99, "unitCeiling": 100.0, "warning": null})
    );
    assert_eq!(audited(&app, "price_set").await, 2);
    let log = app
        .graphql("{ auditLog { event detail } }", json!({}))
        .await;
    assert!(
        log["data"]["auditLog"]
            .as_array()
            .expect("audit log")
            .iter()
            .any(|e| e["event"] == "price_set"
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("utilisation £99.99"))),
        "the operator's audit log shows the change: {log}"
    );
    let npg = app
        .sign_up_operator("control@npg.example", "Northern Powergrid")
        .await;
    let theirs = app
        .graphql_as(&npg.cookie, "{ auditLog { event } }", json!({}))
        .await;
    assert!(!theirs.to_string().contains("price_set"), "{theirs}");

    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let forbidden = app
        .graphql_as(
            &fsp.cookie,
            SET_PRICE,
            price(json!(1.0), json!(1.0), Value::Null),
        )
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
}

const POLICY_FIELDS: &str = "declarationLockDay declarationLockTime acceptanceDay acceptanceTime autoAccept weekAheadDay weekAheadTime dayAheadTime startLeadMinutes manualDispatch paymentBasis deliveryScale performanceFactor";

async fn a_programme_policy_is_checked_and_moves_the_lock(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    let TwilightIds { group, sustain, .. } = twilight_ids(&app).await;
    let zones = app
        .graphql(
            &format!("{{ zones {{ id programmes {{ kind policy {{ {POLICY_FIELDS} }} }} }} }}"),
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
    assert_eq!(policy["declarationLockDay"], "WEDNESDAY");
    assert_eq!(policy["declarationLockTime"], "23:59");
    assert_eq!(policy["weekAheadTime"], "17:00");

    const UPDATE: &str = "mutation($p: String!, $policy: ProgrammePolicyInput!) { updateProgrammePolicy(programmeId: $p, policy: $policy) { policy { declarationLockDay declarationLockTime } } }";
    let mut bad = policy.clone();
    bad["declarationLockTime"] = json!("25:00");
    bad["weekAheadTime"] = Value::Null;
    let refused = app
        .graphql(UPDATE, json!({"p": sustain, "policy": bad}))
        .await;
    let fields = &refused["errors"][0]["extensions"]["fields"];
    assert_eq!(
        fields,
        &json!(["declarationLockTime", "weekAheadTime"]),
        "{refused}"
    );

    let mut tuesday = policy.clone();
    tuesday["declarationLockDay"] = json!("TUESDAY");
    tuesday["declarationLockTime"] = json!("18:00");
    let changed = app
        .graphql(UPDATE, json!({"p": sustain, "policy": tuesday}))
        .await;
    assert_eq!(
        changed["data"]["updateProgrammePolicy"]["policy"],
        json!({"declarationLockDay": "TUESDAY", "declarationLockTime": "18:00"}),
        "{changed}"
    );
    assert_eq!(audited(&app, "programme_policy_changed").await, 1);
    // The clock reads Wednesday 19 February: next week locked on Tuesday at 18:00.
    let week = app
        .graphql(
            "query($g: String!, $p: String!) { availabilityWeek(dispatchGroupId: $g, programmeId: $p, weekCommencing: \"2025-02-24\") { editableUntilLabel locked } }",
            json!({"g": group, "p": sustain}),
        )
        .await;
    assert_eq!(
        week["data"]["availabilityWeek"],
        json!({"editableUntilLabel": "18:00 on Tuesday 18th February 2025", "locked": true}),
        "{week}"
    );
}

async fn zones_are_created_with_their_programmes_and_renamed(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    const CREATE: &str = "mutation($id: String!, $n: String!, $s: Boolean!) { createZone(id: $id, name: $n, sandbox: $s) { id name sandbox operatorName programmes { kind } } }";
    let created = app
        .graphql(
            CREATE,
            json!({"id": "loch-ness", "n": "Loch Ness", "s": true}),
        )
        .await;
    let zone = &created["data"]["createZone"];
    assert_eq!(zone["sandbox"], true, "{created}");
    assert_eq!(zone["operatorName"], "SSEN");
    assert_eq!(zone["programmes"].as_array().map(Vec::len), Some(5));
    let again = app
        .graphql(CREATE, json!({"id": "loch-ness", "n": "Again", "s": false}))
        .await;
    assert_eq!(again["errors"][0]["extensions"]["field"], "id", "{again}");
    let bad = app
        .graphql(CREATE, json!({"id": "Loch Ness!", "n": "x", "s": false}))
        .await;
    assert_eq!(refused_argument(&bad), Some("id"), "{bad}");
    let auction = app
        .graphql(
            "mutation { createProgramme(zoneId: \"loch-ness\", kind: DYNAMIC, auction: true) { name policy { weekAheadTime } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        auction["data"]["createProgramme"],
        json!({"name": "Dynamic (auction)", "policy": {"weekAheadTime": "17:00"}}),
        "{auction}"
    );
    let twice = app
        .graphql("mutation { createProgramme(zoneId: \"loch-ness\", kind: DYNAMIC, auction: true) { name } }", json!({}))
        .await;
    assert_eq!(twice["errors"][0]["extensions"]["field"], "kind", "{twice}");
    let renamed = app
        .graphql(
            "mutation { updateZone(id: \"loch-ness\", name: \"Loch Ness South\", sandbox: false) { name sandbox } }",
            json!({}),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateZone"],
        json!({"name": "Loch Ness South", "sandbox": false}),
        "{renamed}"
    );
    let npg = app
        .sign_up_operator("control@npg.example", "Northern Powergrid")
        .await;
    let theirs = app
        .graphql_as(
            &npg.cookie,
            "mutation { updateZone(id: \"loch-ness\", name: \"Mine\", sandbox: false) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&theirs), Some("NOT_FOUND"));
    assert_eq!(audited(&app, "zone_created").await, 1);
    assert_eq!(audited(&app, "zone_changed").await, 1);
}

async fn dispatch_groups_and_units_are_created_changed_and_retired(engine: Engine) {
    let app = TestApp::spawn(engine, Some(SSEN)).await;
    const CREATE: &str = "mutation($c: String!, $g: DispatchGroupInput!) { createDispatchGroup(zoneId: \"twilight-zone\", company: $c, group: $g) { id name powerChangeKw direction minRuntimeMinutes marketplaceUnits } }";
    let group = |name: &str, kw: f64, min: Option<i32>, max: Option<i32>| {
        json!({"name": name, "powerChangeKw": kw, "direction": "TURN_DOWN", "minRuntimeMinutes": min,
               "maxRuntimeMinutes": max, "weeklyRuntimeMinutes": null, "marketplaceUnits": ["5VTest9"]})
    };
    let created = app
        .graphql(CREATE, json!({"c": "Twilight Flex Ltd", "g": group("Perth Battery", 750.0, Some(30), Some(120))}))
        .await;
    let new_group = &created["data"]["createDispatchGroup"];
    assert_eq!(
        new_group["marketplaceUnits"],
        json!(["5VTest9"]),
        "{created}"
    );
    let id = new_group["id"].as_str().expect("id").to_owned();

    let clash = app
        .graphql(
            CREATE,
            json!({"c": "Twilight Flex Ltd", "g": group("API Test", 1.0, None, None)}),
        )
        .await;
    assert_eq!(clash["errors"][0]["extensions"]["field"], "name", "{clash}");
    let stranger = app
        .graphql(
            CREATE,
            json!({"c": "Nobody Ltd", "g": group("X", 1.0, None, None)}),
        )
        .await;
    assert_eq!(
        stranger["errors"][0]["extensions"]["field"], "company",
        "{stranger}"
    );
    let backwards = app
        .graphql(
            CREATE,
            json!({"c": "Twilight Flex Ltd", "g": group("Y", 0.0, Some(60), Some(30))}),
        )
        .await;
    assert_eq!(
        backwards["errors"][0]["extensions"]["fields"],
        json!(["powerChangeKw", "maxRuntimeMinutes"]),
        "{backwards}"
    );

    let updated = app
        .graphql(
            "mutation($id: String!, $g: DispatchGroupInput!) { updateDispatchGroup(id: $id, group: $g) { name powerChangeKw } }",
            json!({"id": id, "g": group("Perth Battery 2", 800.0, None, None)}),
        )
        .await;
    assert_eq!(
        updated["data"]["updateDispatchGroup"],
        json!({"name": "Perth Battery 2", "powerChangeKw": 800.0}),
        "{updated}"
    );

    let unit = app
        .graphql(
            "mutation($g: String!) { createMeterableUnit(dispatchGroupId: $g, unit: {name: \"Perth MU\", meteringGranularity: HALF_HOURLY}) { id meteringGranularity baseline { method } } }",
            json!({"g": id}),
        )
        .await;
    assert_eq!(
        unit["data"]["createMeterableUnit"]["meteringGranularity"], "HALF_HOURLY",
        "{unit}"
    );
    let unit_id = unit["data"]["createMeterableUnit"]["id"]
        .as_str()
        .expect("unit")
        .to_owned();

    // The FSP sees the new group and unit, and sends readings for it.
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let listed = app
        .graphql_as(
            &fsp.cookie,
            "{ dispatchGroups(zoneId: \"twilight-zone\") { name meterableUnits { id } } }",
            json!({}),
        )
        .await;
    assert!(
        listed.to_string().contains("Perth Battery 2") && listed.to_string().contains(&unit_id),
        "{listed}"
    );
    let reading = |unit: &str| json!({"readings": [{"meterable_unit_id": unit, "timestamp": "2025-02-19T11:30:00Z", "energy_kwh": 10.0}]});
    let posted = app
        .post_json("/api/v2/readings", reading(&unit_id), Some(&fsp.cookie))
        .await;
    assert_eq!(
        posted.status,
        axum::http::StatusCode::OK,
        "{}",
        posted.text()
    );
    let granularity = app
        .graphql(
            "mutation($id: String!) { updateMeterableUnit(id: $id, unit: {name: \"Perth MU\", meteringGranularity: PER_MINUTE}) { id } }",
            json!({"id": unit_id}),
        )
        .await;
    assert_eq!(
        granularity["errors"][0]["extensions"]["field"], "meteringGranularity",
        "{granularity}"
    );

    let retired = app
        .graphql(
            "mutation($id: String!) { retireDispatchGroup(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(retired["data"]["retireDispatchGroup"], true, "{retired}");
    let listed = app
        .graphql_as(
            &fsp.cookie,
            "{ dispatchGroups(zoneId: \"twilight-zone\") { name } }",
            json!({}),
        )
        .await;
    assert!(!listed.to_string().contains("Perth"), "{listed}");
    let refused = app
        .post_json("/api/v2/readings", reading(&unit_id), Some(&fsp.cookie))
        .await;
    assert_eq!(
        refused.json()["errors"][0]["reason"],
        "unknown meterable unit"
    );
    let history = app
        .get_with(
            &format!("/api/v2/readings/latest?meterable_unit_id={unit_id}"),
            &fsp.cookie,
        )
        .await;
    assert_eq!(
        history.json().as_array().map(Vec::len),
        Some(1),
        "readings are kept"
    );

    let forbidden = app
        .graphql_as(
            &fsp.cookie,
            "mutation($id: String!) { retireMeterableUnit(id: $id) }",
            json!({"id": API_TEST_UNIT_ID}),
        )
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    for event in [
        "dispatch_group_created",
        "dispatch_group_changed",
        "meterable_unit_created",
        "dispatch_group_retired",
    ] {
        assert_eq!(audited(&app, event).await, 1, "{event}");
    }
}
