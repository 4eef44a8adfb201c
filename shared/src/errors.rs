//! The error codes of both APIs, listed once. REST answers with a problem document whose
//! `code` is one of these; GraphQL with `extensions.code`; the same refusal has the same
//! code on both. The OpenAPI document and the GraphQL documentation page list them from
//! here.

/// Every code, with when it is answered.
pub const ERROR_CODES: &[(&str, &str)] = &[
    (
        "BAD_REQUEST",
        "The body is not what the operation takes (malformed JSON, a missing field).",
    ),
    (
        "INVALID_PARAMETER",
        "A query, path or header parameter is missing or does not match its schema in the \
         OpenAPI document (400); `errors` names it.",
    ),
    (
        "INVALID_INPUT",
        "The input is well formed but refused (422): it breaks a rule the schema states in \
         words, such as `to` after `from`; `errors` names each field (and the row or CSV \
         line) with the reason. REST spells fields in snake_case, GraphQL in camelCase; CSV \
         columns as the file does.",
    ),
    (
        "UNAUTHENTICATED",
        "No valid API token or session: sign in, or send `Authorization: Bearer oflx_…`.",
    ),
    (
        "FORBIDDEN",
        "Signed in, but not permitted: an operator's action asked by an FSP, say.",
    ),
    (
        "NOT_FOUND",
        "No such thing, or it belongs to another company: the two look the same on purpose.",
    ),
    (
        "CONFLICT",
        "It already exists, or another request changed it first; look it up or try again.",
    ),
    (
        "RATE_LIMITED",
        "Too many requests or wrong attempts: wait the `Retry-After` seconds.",
    ),
    (
        "UNSUPPORTED_MEDIA_TYPE",
        "The `Content-Type` is not one the operation takes.",
    ),
    (
        "PAYLOAD_TOO_LARGE",
        "The body is larger than the server takes (2 MiB): send a large batch in parts.",
    ),
    (
        "METHOD_NOT_ALLOWED",
        "The method is not one the route answers (GraphQL: `POST /graphql` only).",
    ),
    (
        "CROSS_SITE_REQUEST",
        "A browser request from another site was refused.",
    ),
    (
        "BATCH_NOT_SUPPORTED",
        "GraphQL: send one operation per request, not a batch.",
    ),
    (
        "QUERY_TOO_LARGE",
        "GraphQL: more than 30 aliases or 500 fields in one operation.",
    ),
    (
        "INTERNAL",
        "The server could not complete the request; the `correlation_id` finds it in the \
         logs. Nothing was half-written.",
    ),
];

/// Whether `code` is one of [`ERROR_CODES`].
pub fn is_error_code(code: &str) -> bool {
    ERROR_CODES.iter().any(|(c, _)| *c == code)
}
