//! Typed request parameters. The query string and path segments are deserialized into the
//! shared types whose schemas the OpenAPI document shows, so what the document promises
//! and what the handler parses are one declaration; a refusal names the parameter.

use crate::problem::Problem;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The query string as `T` (a struct deriving `Deserialize` and `IntoParams`).
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Params)
            .map_err(|e| {
                let path = e.path().to_string();
                let reason = e.into_inner().to_string();
                refusal(&path, &reason)
            })
    }
}

/// serde names a missing or repeated field in its message, not its path.
fn refusal(path: &str, reason: &str) -> Problem {
    for (prefix, what) in [
        ("missing field `", "is required"),
        ("duplicate field `", "must be given once"),
    ] {
        if let Some(field) = reason
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix('`'))
        {
            return Problem::bad_parameter(field, what);
        }
    }
    Problem::bad_parameter(path, reason)
}

/// The route's one path parameter (`{id}`, `{kind}`) as `T`.
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for PathParam<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::bad_parameter("path", e.body_text()))?;
        let Some((name, value)) = params.iter().next() else {
            return Err(Problem::bad_parameter("path", "is missing"));
        };
        serde_json::from_value(serde_json::Value::String(value.to_owned()))
            .map(PathParam)
            .map_err(|e| Problem::bad_parameter(name, e))
    }
}
