//! The server's own API descriptions, for the Documentation pages: the OpenAPI document of
//! the Participant API and the GraphQL schema.

use super::{get, get_text};
use serde_json::Value;

/// The Participant API's OpenAPI document. It stays a JSON tree: the page renders whatever
/// the document holds, free-form examples included.
pub async fn openapi() -> Result<Value, String> {
    get("/api/v2/openapi.json").await
}

/// The GraphQL schema in SDL.
pub async fn graphql_schema() -> Result<String, String> {
    get_text("/graphql/schema.graphql").await
}
