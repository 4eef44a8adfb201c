//! The browser's calls to the server, one typed function per operation.
//!
//! Each area's GraphQL operations live in `frontend/graphql/<area>/*.graphql` (checked against
//! the live schema by the backend's tests) and are called through `api/<area>.rs`, which
//! takes and returns the `shared` wire types; REST calls (sign-in, readings) are typed the
//! same way. Pages call these functions and never build a request themselves.
//!
//! GraphQL names fields in camelCase, the shared types' serde names are snake_case: the two
//! adapters below convert keys once, variables on the way out and data on the way in.

/// Declares the typed function of one GraphQL operation with one root field: its arguments
/// become the operation's variables (snake_case here, camelCase on the wire), the root
/// field's value its answer (`()` for an answer the page does not read).
macro_rules! operation {
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> () = $document:expr) => {
        $(#[$doc])*
        pub async fn $name($($arg: $ty),*) -> Result<(), String> {
            let variables = $crate::api::variables([$((stringify!($arg), serde_json::to_value(&$arg))),*])?;
            $crate::api::field::<$crate::api::Done>($document, &variables)
                .await
                .map(|_| ())
        }
    };
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty = $document:expr) => {
        $(#[$doc])*
        pub async fn $name($($arg: $ty),*) -> Result<$out, String> {
            let variables = $crate::api::variables([$((stringify!($arg), serde_json::to_value(&$arg))),*])?;
            $crate::api::field($document, &variables).await
        }
    };
}

pub mod accounts;
pub mod assets;
pub mod availability;
pub mod configuration;
pub mod dispatch;
pub mod dispatch_settings;
pub mod docs;
pub mod organisations;
pub mod readings;
pub mod settlement;
pub mod tokens;

use gloo_net::http::{Request, RequestBuilder};
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{Map, Value};

/// The error text of any call made without a valid session.
pub const SIGNED_OUT: &str = "You are not signed in.";

/// The variables of an operation that takes none.
#[derive(Serialize)]
pub(crate) struct NoVariables {}

/// A mutation's answer that the page does not read (it reloads what it shows).
pub(crate) type Done = IgnoredAny;

/// The variables object of an `operation!`, from its arguments' names and values.
pub(crate) fn variables<const N: usize>(
    values: [(&str, Result<Value, serde_json::Error>); N],
) -> Result<Map<String, Value>, String> {
    values
        .into_iter()
        .map(|(name, value)| {
            value
                .map(|value| (name.to_owned(), value))
                .map_err(|e| format!("{name}: {e}"))
        })
        .collect()
}

/// Runs one GraphQL operation and decodes its `data`. Errors come back as the server's
/// messages, ready to show.
pub(crate) async fn graphql<T: DeserializeOwned>(
    document: &str,
    variables: &impl Serialize,
) -> Result<T, String> {
    let variables = serde_json::to_value(variables).map_err(|e| e.to_string())?;
    let body = Body {
        query: document,
        variables: camel_keys(variables),
    };
    let body = serde_json::to_string(&body).map_err(|e| e.to_string())?;
    let response = send(
        Request::post("/graphql").header("content-type", "application/json"),
        body,
    )
    .await?;
    let status = response.status();
    if status == 401 {
        return Err(SIGNED_OUT.to_owned());
    }
    let reply: Reply = response
        .json()
        .await
        .map_err(|e| format!("unexpected response ({status}): {e}"))?;
    if !reply.errors.is_empty() {
        return Err(reply
            .errors
            .into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join("; "));
    }
    if let Some(detail) = reply.detail {
        return Err(detail);
    }
    serde_json::from_value(snake_keys(reply.data)).map_err(|e| format!("unexpected response: {e}"))
}

/// Runs an operation with one root field and decodes that field's value.
pub(crate) async fn field<T: DeserializeOwned>(
    document: &str,
    variables: &impl Serialize,
) -> Result<T, String> {
    let data: Map<String, Value> = graphql(document, variables).await?;
    let mut values = data.into_iter().map(|(_, v)| v);
    match (values.next(), values.next()) {
        (Some(value), None) => {
            serde_json::from_value(value).map_err(|e| format!("unexpected response: {e}"))
        }
        _ => Err("unexpected response: not one root field".to_owned()),
    }
}

#[derive(Serialize)]
struct Body<'a> {
    query: &'a str,
    variables: Value,
}

#[derive(serde::Deserialize)]
struct Reply {
    #[serde(default)]
    data: Value,
    #[serde(default)]
    errors: Vec<ReplyError>,
    /// A problem document (a refused request never reaches GraphQL).
    #[serde(default)]
    detail: Option<String>,
}

#[derive(serde::Deserialize)]
struct ReplyError {
    message: String,
}

fn snake_keys(value: Value) -> Value {
    rename_keys(value, &shared::case::snake_case)
}

fn camel_keys(value: Value) -> Value {
    rename_keys(value, &shared::case::camel_case)
}

fn rename_keys(value: Value, rename: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (rename(&k), rename_keys(v, rename)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| rename_keys(v, rename)).collect())
        }
        other => other,
    }
}

async fn send(request: RequestBuilder, body: String) -> Result<gloo_net::http::Response, String> {
    request
        .body(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("the server could not be reached: {e}"))
}

/// A problem document's `detail`, or a line naming the status.
async fn refused(response: gloo_net::http::Response, fallback: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Problem {
        detail: Option<String>,
    }
    let status = response.status();
    response
        .json::<Problem>()
        .await
        .ok()
        .and_then(|p| p.detail)
        .unwrap_or_else(|| format!("{fallback} ({status})"))
}

/// POSTs `body` as JSON to a REST endpoint and decodes the answer (`Done` for none).
pub(crate) async fn post<T: DeserializeOwned>(
    url: &str,
    body: Option<&impl Serialize>,
) -> Result<T, String> {
    let request = Request::post(url);
    let response = match body {
        Some(body) => {
            let body = serde_json::to_string(body).map_err(|e| e.to_string())?;
            send(request.header("content-type", "application/json"), body).await?
        }
        None => request
            .build()
            .map_err(|e| e.to_string())?
            .send()
            .await
            .map_err(|e| format!("the server could not be reached: {e}"))?,
    };
    decode(response, "request failed").await
}

async fn send_get(url: &str) -> Result<gloo_net::http::Response, String> {
    Request::get(url)
        .build()
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("the server could not be reached: {e}"))
}

/// GETs a REST endpoint and decodes the answer.
pub(crate) async fn get<T: DeserializeOwned>(url: &str) -> Result<T, String> {
    decode(send_get(url).await?, "request failed").await
}

/// GETs a text document (a schema, say).
pub(crate) async fn get_text(url: &str) -> Result<String, String> {
    let response = send_get(url).await?;
    if !response.ok() {
        return Err(refused(response, url).await);
    }
    response.text().await.map_err(|e| e.to_string())
}

/// POSTs a CSV document and decodes the answer.
pub(crate) async fn post_csv<T: DeserializeOwned>(url: &str, csv: String) -> Result<T, String> {
    let response = send(Request::post(url).header("content-type", "text/csv"), csv).await?;
    decode(response, "the upload was refused").await
}

async fn decode<T: DeserializeOwned>(
    response: gloo_net::http::Response,
    fallback: &str,
) -> Result<T, String> {
    if !response.ok() {
        return Err(refused(response, fallback).await);
    }
    let text = response.text().await.map_err(|e| e.to_string())?;
    // A 204 has no body: `Done` (IgnoredAny) reads `null` as well as anything else.
    let text = if text.trim().is_empty() {
        "null"
    } else {
        &text
    };
    serde_json::from_str(text).map_err(|e| format!("unexpected response: {e}"))
}

/// Leaves the single-page app for `path`, so that everything reloads as the new user.
pub fn go(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}
