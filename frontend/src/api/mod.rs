//! GraphQL client. Each area's operations live in `frontend/graphql/<area>/*.graphql` and
//! are called through typed functions in `api/<area>.rs` (validated against the live schema
//! by the backend's tests); pages call those functions. Responses are decoded into the `shared` wire types: GraphQL field names
//! are camelCase, the shared types' serde names snake_case, so keys are converted once here.

pub mod assets;
pub mod tokens;

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The error text of any call made without a valid session.
pub const SIGNED_OUT: &str = "You are not signed in.";

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
    if status == 401 {
        return Err(SIGNED_OUT.to_owned());
    }
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

/// Calls a REST endpoint with an optional JSON body. Problem details come back as their
/// `detail` text.
pub async fn rest(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let builder = match method {
        "GET" => Request::get(url),
        _ => Request::post(url),
    };
    let request = match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(body.to_string())
            .map_err(|e| e.to_string())?,
        None => builder.build().map_err(|e| e.to_string())?,
    };
    let response = request
        .send()
        .await
        .map_err(|e| format!("the server could not be reached: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        Ok(json)
    } else {
        Err(json
            .get("detail")
            .and_then(Value::as_str)
            .map_or_else(|| format!("request failed ({status})"), str::to_owned))
    }
}

/// POSTs a CSV document; problem details come back as their `detail` text.
pub async fn post_csv(url: &str, csv: String) -> Result<Value, String> {
    let response = Request::post(url)
        .header("content-type", "text/csv")
        .body(csv)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("the server could not be reached: {e}"))?;
    let ok = response.ok();
    let json: Value = response.json().await.unwrap_or(Value::Null);
    if ok {
        Ok(json)
    } else {
        Err(json
            .get("detail")
            .and_then(Value::as_str)
            .unwrap_or("the upload was refused")
            .to_owned())
    }
}

/// Leaves the single-page app for `path`, so that everything reloads as the new user.
pub fn go(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}
