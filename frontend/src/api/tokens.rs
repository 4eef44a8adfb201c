//! API Testing › My API Access Tokens: the operations in `frontend/graphql/tokens/`.

use super::graphql;
use serde::Deserialize;
use shared::{ApiTokenInfo, NewApiToken};

/// The company's current token, if it has one.
pub async fn api_token() -> Result<Option<ApiTokenInfo>, String> {
    #[derive(Deserialize)]
    struct Data {
        api_token: Option<ApiTokenInfo>,
    }
    graphql::<Data>(
        include_str!("../../graphql/tokens/ApiToken.graphql"),
        serde_json::Value::Object(serde_json::Map::new()),
    )
    .await
    .map(|d| d.api_token)
}

/// A new token (shown once); the old one stops working at once.
pub async fn create_api_token() -> Result<NewApiToken, String> {
    #[derive(Deserialize)]
    struct Data {
        create_api_token: NewApiToken,
    }
    graphql::<Data>(
        include_str!("../../graphql/tokens/CreateApiToken.graphql"),
        serde_json::Value::Object(serde_json::Map::new()),
    )
    .await
    .map(|d| d.create_api_token)
}
