//! Who is signed in.

use serde::{Deserialize, Serialize};

/// What a user may do, and whose data they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "server", derive(async_graphql::Enum, utoipa::ToSchema))]
pub enum Role {
    /// Staff of a Flexibility Service Provider: sees only their own company's data.
    Participant,
    /// Staff of a network operator: sees that operator's zones and the FSPs in them.
    Operator,
    /// Runs the platform: creates operators and their users.
    PlatformAdmin,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Self::Participant => "Participant",
            Self::Operator => "Operator",
            Self::PlatformAdmin => "Platform admin",
        }
    }
}

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "server",
    derive(async_graphql::SimpleObject, utoipa::ToSchema)
)]
pub struct Viewer {
    pub name: String,
    pub role: Role,
    /// The FSP company or operator the user belongs to; none for platform admins.
    pub organisation: Option<String>,
}
