pub mod meterable_units;
pub mod placeholder;
pub mod sign_in;
pub mod users;
