//! Domain and wire types shared by the Openflex server and the browser app.
//!
//! Everything here compiles for `wasm32-unknown-unknown`. The `server` feature adds the
//! GraphQL and OpenAPI derives, which only the backend needs.

pub mod accounts;
pub mod assets;
pub mod ids;
pub mod organisations;
pub mod permissions;
pub mod readings;
pub mod time;

pub use accounts::*;
pub use assets::*;
pub use ids::*;
pub use organisations::*;
pub use permissions::*;
pub use readings::*;
pub use time::*;
