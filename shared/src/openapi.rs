//! OpenAPI schemas for the types that parse API input, written beside their parsers so the
//! document says exactly what `parse` accepts (server only).

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

/// A string schema: what the value means, the pattern its parser enforces and an example.
pub(crate) fn text(description: &str, pattern: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .examples([example])
}

/// A string schema of a well-known format (`date`, `date-time`), which says it all.
pub(crate) fn formatted(format: KnownFormat, description: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .format(Some(SchemaFormat::KnownFormat(format)))
        .examples([example])
}
