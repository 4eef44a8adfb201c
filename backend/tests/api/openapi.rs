//! The OpenAPI document says what the server enforces: each parameter type's schema
//! accepts exactly the strings its parser accepts, every reference resolves and every link
//! leads to a real operation's real parameters. (The fuzzing run in `e2e` holds the running
//! server to the document; these hold the document to the types.)

use serde_json::{Value, json};

fn document() -> Value {
    backend::rest::document_json("openflex_session")
}

/// `schemas[name]`, with its validator checking formats as well as patterns.
fn validator(doc: &Value, name: &str) -> jsonschema::Validator {
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn agrees(doc: &Value, name: &str, parse: impl Fn(&str) -> bool, samples: &[&str]) {
    let validator = validator(doc, name);
    for sample in samples {
        assert_eq!(
            validator.is_valid(&json!(sample)),
            parse(sample),
            "{name}: the schema and the parser disagree on {sample:?}"
        );
    }
}

#[test]
fn parameter_schemas_accept_exactly_what_their_parsers_accept() {
    let doc = document();
    agrees(
        &doc,
        "PublicId",
        |s| shared::PublicId::parse(s).is_ok(),
        &[
            "LuHmGc49c30Hsb872q2d",
            "LuHmGc49c30Hsb872q2",
            "LuHmGc49c30Hsb872q2dX",
            "LuHmGc49c30Hsb872q-d",
            "",
            "ÄuHmGc49c30Hsb872q2d",
        ],
    );
    agrees(
        &doc,
        "ZoneSlug",
        |s| shared::ZoneSlug::parse(s).is_ok(),
        &[
            "twilight-zone",
            "a",
            "-",
            "Twilight",
            "",
            &"z".repeat(64),
            &"z".repeat(65),
            "a b",
        ],
    );
    agrees(
        &doc,
        "WeekCommencing",
        |s| shared::WeekCommencing::parse(s).is_ok(),
        &[
            "2025-02-17",
            "2025-02-19",
            "0001-01-01",
            "9999-12-31",
            "2025-02-30",
            "2024-02-29",
            "2025-2-17",
            "20250217",
            "2025-02-17T00:00:00Z",
            "",
            " 2025-02-17",
        ],
    );
    agrees(
        &doc,
        "Instant",
        |s| shared::Instant::parse(s).is_ok(),
        &[
            "2025-02-17T16:00:00Z",
            "2025-02-17t16:00:00z",
            "2025-02-17T16:00:00.123456+01:00",
            "2025-02-17T16:00:00-23:59",
            "2025-02-17 16:00:00Z",
            "2025-02-17T16:00:00",
            "2025-02-17T24:00:00Z",
            "2025-02-30T16:00:00Z",
            "2025-02-17T16:00:00+24:00",
            "",
        ],
    );
    agrees(
        &doc,
        "Month",
        |s| shared::Month::parse(s).is_ok(),
        &[
            "2025-03", "2999-12", "1999-12", "3000-01", "2025-13", "2025-3", " 2025-03", "2025-+3",
            "",
        ],
    );
    agrees(
        &doc,
        "StatementId",
        |s| shared::StatementId::parse(s).is_ok(),
        &[
            "2025-02.twilight-zone.LuHmGc49c30Hsb872q2d",
            "2025-13.twilight-zone.LuHmGc49c30Hsb872q2d",
            "2025-02.Twilight.LuHmGc49c30Hsb872q2d",
            "2025-02.twilight-zone.short",
            "2025-02.twilight-zone.LuHmGc49c30Hsb872q2d.x",
            "",
        ],
    );
    agrees(
        &doc,
        "ReadingsCursor",
        |s| shared::ReadingsCursor::parse(s).is_ok(),
        &[
            "r1.0",
            "r1.1738375200000000",
            "r1.",
            "r1.-1",
            "r1.12345678901234567",
            "cjE6",
            "",
        ],
    );
    agrees(
        &doc,
        "IdempotencyKey",
        |s| shared::IdempotencyKey::parse(s).is_ok(),
        &[
            "a",
            "a b",
            " a",
            "a ",
            "",
            "é",
            &"k".repeat(255),
            &"k".repeat(256),
            "~!",
        ],
    );
    let limit = validator(&doc, "PageLimit");
    for n in [0_u64, 1, 1_000, 10_000, 10_001] {
        assert_eq!(
            limit.is_valid(&json!(n)),
            shared::PageLimit::try_from(n).is_ok(),
            "PageLimit {n}"
        );
    }
}

#[test]
fn new_passwords_are_documented_with_the_bounds_the_server_enforces() {
    let doc = document();
    for (schema, field) in [
        ("ActivateRequest", "password"),
        ("PasswordChangeRequest", "new_password"),
    ] {
        let property = &doc["components"]["schemas"][schema]["properties"][field];
        assert_eq!(
            property["minLength"],
            json!(shared::PASSWORD_CHARS.start()),
            "{schema}.{field}"
        );
        assert_eq!(
            property["maxLength"],
            json!(shared::PASSWORD_CHARS.end()),
            "{schema}.{field}"
        );
    }
}

#[test]
fn a_readings_batch_is_documented_with_the_rows_the_server_takes() {
    let readings = &document()["components"]["schemas"]["ReadingsBatch"]["properties"]["readings"];
    assert_eq!(readings["minItems"], json!(1));
    assert_eq!(
        readings["maxItems"],
        json!(shared::MAX_READINGS_PER_REQUEST)
    );
}

/// Every `$ref` in `value`.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => found.push(r),
                    _ => references(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[test]
fn references_resolve_and_links_lead_to_real_parameters() {
    let doc = document();
    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        assert!(
            doc.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }

    let operations: Vec<&Value> = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("item").values())
        .collect();
    let by_id = |id: &str| {
        operations
            .iter()
            .find(|op| op["operationId"] == id)
            .unwrap_or_else(|| panic!("no operation {id}"))
    };
    let mut links = 0;
    for operation in &operations {
        for response in operation["responses"]
            .as_object()
            .expect("responses")
            .values()
        {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                links += 1;
                let target = by_id(link["operationId"].as_str().expect("operationId"));
                for parameter in link["parameters"].as_object().expect("parameters").keys() {
                    assert!(
                        target["parameters"]
                            .as_array()
                            .expect("the target's parameters")
                            .iter()
                            .any(|p| p["name"] == parameter.as_str()),
                        "link {name} sets {parameter}, which {} does not take",
                        link["operationId"]
                    );
                }
            }
        }
    }
    assert!(links > 10, "only {links} links");

    // What every Participant API operation may answer because of where it is mounted.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for operation in item.as_object().expect("item").values() {
            let responses = operation["responses"].as_object().expect("responses");
            if path.starts_with("/api/v2/") && path != "/api/v2/openapi.json" {
                for status in ["401", "429"] {
                    assert!(responses.contains_key(status), "{path}: no {status}");
                }
            }
            if operation["parameters"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
                || operation.get("requestBody").is_some()
            {
                assert!(responses.contains_key("400"), "{path}: no 400");
            }
        }
    }
}
