pub mod docs;
pub mod meterable_units;
pub mod organisations;
pub mod placeholder;
pub mod readings;
pub mod sign_in;
pub mod tokens;
pub mod users;
