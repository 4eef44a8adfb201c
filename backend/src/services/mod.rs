//! Business logic, one module per area. REST handlers, GraphQL resolvers and scheduled
//! jobs are thin adapters over these functions: each takes the caller and `now`.

pub mod accounts;
pub mod api_tokens;
pub mod assets;
pub mod audit;
pub mod availability;
pub mod baselines;
pub mod calendar;
pub mod configuration;
pub mod digests;
pub mod dispatch;
pub mod dispatch_settings;
pub mod idempotency;
pub mod notifications;
pub mod organisations;
pub mod passkeys;
pub mod readings;
pub mod settlement;
pub mod throttle;
pub mod webhooks;

use shared::Role;

pub(crate) use audit::network_change as audit_change;

/// The authenticated caller of a service function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Participant {
        /// None when an API token, not a signed-in user, is calling.
        user_id: Option<i32>,
        user_name: String,
        company_id: i32,
        company_name: String,
    },
    Operator {
        user_id: Option<i32>,
        user_name: String,
        operator_id: i32,
        operator_name: String,
    },
    PlatformAdmin {
        user_id: Option<i32>,
        user_name: String,
    },
}

impl Actor {
    pub fn role(&self) -> Role {
        match self {
            Self::Participant { .. } => Role::Participant,
            Self::Operator { .. } => Role::Operator,
            Self::PlatformAdmin { .. } => Role::PlatformAdmin,
        }
    }

    pub fn user_id(&self) -> Option<i32> {
        match self {
            Self::Participant { user_id, .. }
            | Self::Operator { user_id, .. }
            | Self::PlatformAdmin { user_id, .. } => *user_id,
        }
    }
}

/// A field of the caller's input and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The position of the refused item in a batch (0-based), or its CSV line.
    pub index: Option<usize>,
    /// An input field named as in the Rust wire types (snake_case; each adapter spells it
    /// in its transport's casing), or a CSV column named as in the file.
    pub field: String,
    pub reason: String,
    /// `field` is a CSV column: every transport names it exactly as the file does.
    #[serde(skip)]
    pub csv_column: bool,
}

/// What a service function can refuse with. Adapters map each variant to an HTTP status
/// (REST) or an `extensions.code` (GraphQL); `Internal` details are logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("not permitted: {0}")]
    Forbidden(String),
    /// Unknown, or belongs to a tenant the caller may not see: the two are
    /// indistinguishable on purpose.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts; try again in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: i64 },
    #[error("internal error")]
    Internal(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for ServiceError {
    /// A unique-key violation is another request having written the same thing first (a
    /// race the service's own checks cannot close): a conflict the caller may retry or
    /// look up, never an internal error.
    fn from(e: sea_orm::DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::info!(%detail, "unique constraint refused a write");
                Self::Conflict(
                    "this already exists (another request may have just created it)".to_owned(),
                )
            }
            _ => Self::Internal(e),
        }
    }
}

impl FieldError {
    /// A refused field that is not part of a batch.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            index: None,
            field: field.into(),
            reason: reason.into(),
            csv_column: false,
        }
    }

    /// A refused cell (or header, or row) of an uploaded CSV file, by its line.
    pub fn csv(line: usize, column: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            index: Some(line),
            field: column.into(),
            reason: reason.into(),
            csv_column: true,
        }
    }
}

impl ServiceError {
    /// The stable machine-readable code, the same on every transport: REST's problem
    /// `code` and GraphQL's `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Invalid(_) => "INVALID_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, reason)])
    }
}

/// A CSV cell that a spreadsheet will not run as a formula: text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP "CSV injection"). Numbers
/// such as `-907.99` are left as they are, so exports still read back as data.
pub(crate) fn csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Every cell of a CSV record through [`csv_cell`].
pub(crate) fn csv_record<I, S>(record: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    record
        .into_iter()
        .map(|c| csv_cell(c.as_ref()).into_owned())
        .collect()
}

/// Stored data that breaks an invariant the code relies on: logged, never shown.
pub(crate) fn corrupt(what: &str) -> ServiceError {
    ServiceError::Internal(sea_orm::DbErr::Custom(format!("stored {what} is invalid")))
}

/// A UTC instant as the APIs and messages write it: RFC 3339 to the second, with `Z`.
pub(crate) fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An e-mail address as stored: trimmed, lower case, checked. A neutral helper: accounts,
/// dispatch contacts and support contacts all take addresses.
pub(crate) fn parse_email(raw: &str) -> Result<String, ServiceError> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 || email.parse::<lettre::Address>().is_err() {
        return Err(ServiceError::invalid(
            "email",
            "is not a valid e-mail address",
        ));
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formula_like_cells_are_neutralised_but_numbers_are_not() {
        for risky in [
            "=1+1",
            "+cmd",
            "-x",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(csv_cell(risky), format!("'{risky}"));
        }
        for plain in [
            "-907.99",
            "+1.5",
            "Twilight Flex Ltd",
            "",
            "2025-02-01T02:00:00Z",
        ] {
            assert_eq!(csv_cell(plain), plain);
        }
    }
}
