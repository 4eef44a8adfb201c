//! GraphQL client. Responses are decoded into the `shared` wire types: GraphQL field names
//! are camelCase, the shared types' serde names snake_case, so keys are converted once here.

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Runs one GraphQL operation and decodes `data`. Errors come back as the server's
/// messages, ready to show.
pub async fn graphql<T: DeserializeOwned>(query: &str, variables: Value) -> Result<T, String> {
    let body = serde_json::json!({ "query": query, "variables": variables });
    let response = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(body.to_string())
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("the server could not be reached: {e}"))?;
    let status = response.status();
    let json: Value = response
        .json()
        .await
        .map_err(|e| format!("unexpected response ({status}): {e}"))?;
    if let Some(errors) = json.get("errors").and_then(Value::as_array)
        && !errors.is_empty()
    {
        return Err(errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("; "));
    }
    if let Some(detail) = json.get("detail").and_then(Value::as_str) {
        return Err(detail.to_owned());
    }
    let data = json.get("data").cloned().unwrap_or(Value::Null);
    serde_json::from_value(snake_keys(data)).map_err(|e| format!("unexpected response: {e}"))
}

fn snake_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (snake_case(&k), snake_keys(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_keys).collect()),
        other => other,
    }
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
