//! Domain and wire types shared by the Openflex server and the browser app.
//!
//! Everything here compiles for `wasm32-unknown-unknown`. The `server` feature adds the
//! GraphQL and OpenAPI derives, which only the backend needs.

/// Declares a closed set of codes with a stable storage form (`as_str`/`parse`) and a
/// SCREAMING_SNAKE_CASE wire form shared by GraphQL and REST.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        #[cfg_attr(feature = "server", derive(async_graphql::Enum, utoipa::ToSchema))]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The form stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

pub mod accounts;
pub mod assets;
pub mod availability;
pub mod case;
pub mod dispatch;
pub mod errors;
pub mod ids;
#[cfg(feature = "server")]
mod openapi;
pub mod organisations;
pub mod permissions;
pub mod readings;
pub mod settlement;
pub mod time;
pub mod webhooks;

pub use accounts::*;
pub use assets::*;
pub use availability::*;
pub use dispatch::*;
pub use errors::*;
pub use ids::*;
pub use organisations::*;
pub use permissions::*;
pub use readings::*;
pub use settlement::*;
pub use time::*;
