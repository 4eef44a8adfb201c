pub mod meterable_units;
pub mod placeholder;
