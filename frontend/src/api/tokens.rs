//! API Testing › My API Access Tokens: the operations in `frontend/graphql/tokens/`.

use shared::{ApiTokenInfo, NewApiToken};

operation! {
    /// The company's current token, if it has one.
    pub fn api_token() -> Option<ApiTokenInfo>
        = include_str!("../../graphql/tokens/ApiToken.graphql")
}

operation! {
    /// A new token (shown once); the old one stops working at once.
    pub fn create_api_token() -> NewApiToken
        = include_str!("../../graphql/tokens/CreateApiToken.graphql")
}
