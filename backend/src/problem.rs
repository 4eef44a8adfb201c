//! RFC 9457 problem details: the error body of every HTTP answer that is not GraphQL data
//! (the REST API, sign-in, and the HTTP layer of `/graphql`). Codes come from
//! `ServiceError::code`, the same on every transport.

use crate::services::{FieldError, ServiceError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error response (`application/problem+json`, RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// Problem type URI; `about:blank` means the HTTP status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// Stable machine-readable code, the same as GraphQL's `extensions.code`.
    pub code: String,
    /// Quote this when reporting a problem; it finds the request in the server logs.
    pub correlation_id: String,
    /// The fields or parameters that were refused, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One refused field or parameter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// For batches: the refused item's position (0-based), or its line in a CSV upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Field, parameter or column name.
    pub field: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds to wait, sent as `Retry-After` (throttled requests).
    pub retry_after: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// A query, path or header parameter that is missing or malformed.
    pub fn bad_parameter(name: &str, reason: impl std::fmt::Display) -> Self {
        let reason = reason.to_string();
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "INVALID_PARAMETER",
            detail: format!("parameter `{name}` {reason}"),
            errors: vec![FieldError {
                csv_column: false,
                index: None,
                field: name.to_owned(),
                reason,
            }],
            retry_after: None,
        }
    }

    /// A request body the server could not take: too large (413), not of the documented
    /// media type (415), or not what the operation takes (400); axum's rejection says which.
    pub fn bad_body(status: StatusCode, text: String) -> Self {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(status, "PAYLOAD_TOO_LARGE", text),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::new(status, "UNSUPPORTED_MEDIA_TYPE", text),
            _ => Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", text),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{what} not found"),
        )
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        let code = e.code();
        match e {
            ServiceError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                code,
                "sign in or send an API token",
            ),
            ServiceError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, code, why),
            ServiceError::NotFound(what) => Self::not_found(what),
            ServiceError::Invalid(errors) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code,
                detail: errors
                    .iter()
                    .map(|e| match e.index {
                        Some(i) => format!("row {i}, {}: {}", e.field, e.reason),
                        None => format!("{}: {}", e.field, e.reason),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                errors,
                retry_after: None,
            },
            ServiceError::Conflict(why) => Self::new(StatusCode::CONFLICT, code, why),
            ServiceError::RateLimited {
                retry_after_seconds,
            } => Self {
                retry_after: Some(retry_after_seconds),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    code,
                    format!("too many attempts; try again in {retry_after_seconds} s"),
                )
            },
            ServiceError::Internal(err) => {
                // Logged with the correlation id in `into_response`; never shown.
                let mut p = Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code,
                    "the server could not complete the request",
                );
                p.errors = vec![FieldError {
                    csv_column: false,
                    index: None,
                    field: String::new(),
                    reason: err.to_string(),
                }];
                p
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let correlation_id = uuid::Uuid::new_v4().simple().to_string();
        let errors = if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            let cause = self.errors.first().map(|e| e.reason.as_str()).unwrap_or("");
            tracing::error!(%correlation_id, cause, "request failed");
            Vec::new()
        } else {
            self.errors
                .into_iter()
                .map(|e| ProblemField {
                    index: e.index,
                    field: e.field,
                    reason: e.reason,
                })
                .collect()
        };
        let body = ProblemDetails {
            kind: "about:blank".to_owned(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            correlation_id,
            errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
