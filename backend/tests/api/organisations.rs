//! Organisations: operators register FSP companies (every bad field named) and platform
//! admins register operators.

use crate::helpers::{Engine, TestApp, both_databases, error_code};
use crate::users::{CREATE_USER, new_user};
use serde_json::json;
use shared::Role;

both_databases!(
    operator_registers_a_company_and_invites_its_users,
    company_fields_are_validated_with_every_bad_field_named,
    only_platform_admins_register_operators,
    fsps_see_their_operators_support_contacts,
);

const CREATE_COMPANY: &str = "mutation($c: NewCompanyInput!) { createCompany(input: $c) { id name companiesHouseNumber vatNumber } }";

async fn operator_registers_a_company_and_invites_its_users(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let ssen = app.sign_up_operator("reg@ssen.example", "SSEN").await;
    let created = app
        .graphql_as(
            &ssen.cookie,
            CREATE_COMPANY,
            json!({"c": {"name": "Newco Flex Ltd", "companiesHouseNumber": "sc654987",
                "vatNumber": "GB 987 6543 21", "billingAddress": "3 New Street\nAberdeen"}}),
        )
        .await;
    assert!(created["errors"].is_null(), "{created}");
    assert_eq!(
        created["data"]["createCompany"]["companiesHouseNumber"],
        "SC654987"
    );
    assert_eq!(created["data"]["createCompany"]["vatNumber"], "GB987654321");
    let invited = app
        .graphql_as(
            &ssen.cookie,
            CREATE_USER,
            new_user("first@newco.example", "PARTICIPANT", "Newco Flex Ltd"),
        )
        .await;
    assert!(invited["errors"].is_null(), "{invited}");

    let npg = app
        .sign_up_operator("reg@npg.example", "Northern Powergrid")
        .await;
    let seen = app
        .graphql_as(&npg.cookie, "{ companies { name } }", json!({}))
        .await;
    let names: Vec<&str> = seen["data"]["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["Other Flex Ltd"],
        "NPG contracts only Other Flex Ltd"
    );
}

async fn company_fields_are_validated_with_every_bad_field_named(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let ssen = app.sign_up_operator("val@ssen.example", "SSEN").await;
    let refused = app
        .graphql_as(
            &ssen.cookie,
            CREATE_COMPANY,
            json!({"c": {"name": "Twilight Flex Ltd", "companiesHouseNumber": "123",
                "vatNumber": "FR123", "billingAddress": "  "}}),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&refused), Some("INVALID_INPUT"));
    let mut fields: Vec<&str> = refused["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("every refused field")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "billingAddress",
            "companiesHouseNumber",
            "name",
            "vatNumber"
        ],
        "{refused}"
    );
    let fsp = app.sign_up_participant("val@fsp.example").await;
    let forbidden = app
        .graphql_as(
            &fsp.cookie,
            CREATE_COMPANY,
            json!({"c": {"name": "X Ltd", "companiesHouseNumber": "12345678",
                "vatNumber": "GB123456789", "billingAddress": "Somewhere"}}),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&forbidden), Some("FORBIDDEN"));
}

async fn only_platform_admins_register_operators(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    let operator = app.sign_up_operator("op@ssen.example", "SSEN").await;
    let mutation = "mutation($n: String!) { createOperator(name: $n) { id name } }";
    let refused = app
        .graphql_as(&operator.cookie, mutation, json!({"n": "UKPN"}))
        .await;
    assert_eq!(crate::helpers::error_code(&refused), Some("FORBIDDEN"));
    let link = app
        .invite("root@example.com", Role::PlatformAdmin, None)
        .await;
    let admin = app.complete_sign_up("root@example.com", &link).await;
    let created = app
        .graphql_as(&admin.cookie, mutation, json!({"n": "UKPN"}))
        .await;
    assert_eq!(
        created["data"]["createOperator"]["name"], "UKPN",
        "{created}"
    );
    let again = app
        .graphql_as(&admin.cookie, mutation, json!({"n": "UKPN"}))
        .await;
    assert_eq!(crate::helpers::error_code(&again), Some("INVALID_INPUT"));
    let invited = app
        .graphql_as(
            &admin.cookie,
            CREATE_USER,
            new_user("ops@ukpn.example", "OPERATOR", "UKPN"),
        )
        .await;
    assert!(invited["errors"].is_null(), "{invited}");
}

/// The guide's "Contact": each operator keeps a support contact; its FSPs' users see it.
async fn fsps_see_their_operators_support_contacts(engine: Engine) {
    let app = TestApp::spawn(engine, None).await;
    const CONTACTS: &str = "{ supportContacts { operator name email } }";
    const SET: &str = "mutation($n: String!, $e: String!) { setSupportContact(name: $n, email: $e) { operator name email } }";
    let fsp = app.sign_up_participant("fsp@twilight.example").await;
    let seen = app.graphql_as(&fsp.cookie, CONTACTS, json!({})).await;
    assert_eq!(
        seen["data"]["supportContacts"],
        json!([{"operator": "SSEN", "name": "Flexibility Services Operations", "email": "FlexibleServices@sse.com"}]),
        "{seen}"
    );
    let ssen = app.sign_up_operator("ops@ssen.example", "SSEN").await;
    let bad = app
        .graphql_as(&ssen.cookie, SET, json!({"n": " ", "e": "not an address"}))
        .await;
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["name", "email"], "{bad}");
    let set = app
        .graphql_as(
            &ssen.cookie,
            SET,
            json!({"n": "Flex Control", "e": "flex.control@ssen.example"}),
        )
        .await;
    assert!(set["errors"].is_null(), "{set}");
    let seen = app.graphql_as(&fsp.cookie, CONTACTS, json!({})).await;
    assert_eq!(
        seen["data"]["supportContacts"][0],
        json!({"operator": "SSEN", "name": "Flex Control", "email": "flex.control@ssen.example"}),
        "{seen}"
    );
    let refused = app
        .graphql_as(
            &fsp.cookie,
            SET,
            json!({"n": "Us", "e": "us@twilight.example"}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
}
