//! The server's own API descriptions, for the Documentation pages: the OpenAPI document of
//! the Participant API and the GraphQL schema.

use gloo_net::http::Request;
use serde_json::Value;

async fn text(url: &str) -> Result<String, String> {
    let response = Request::get(url)
        .build()
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("the server could not be reached: {e}"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}

/// The Participant API's OpenAPI document. It stays a JSON tree: the page renders whatever
/// the document holds, free-form examples included.
pub async fn openapi() -> Result<Value, String> {
    let text = text("/api/v2/openapi.json").await?;
    serde_json::from_str(&text).map_err(|e| format!("the API description is not JSON: {e}"))
}

/// The GraphQL schema in SDL.
pub async fn graphql_schema() -> Result<String, String> {
    text("/graphql/schema.graphql").await
}
