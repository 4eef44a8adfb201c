//! Throttling: fixed-window counters kept in the database, so a limit holds across server
//! instances and restarts. Each limit names what it counts; a caller over it gets
//! `ServiceError::RateLimited` with the seconds until the window ends (`429` and
//! `Retry-After` on the wire).

use super::ServiceError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// One throttle: at most `max` counted events per key in each `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Prefix of the stored key, e.g. `login-account`.
    pub name: &'static str,
    pub max: i64,
    pub window: Duration,
}

/// Wrong passwords for one account in 15 minutes before its sign-in slows down (a soft
/// lock: it lifts by itself when the window ends).
pub const LOGIN_FAILURES_PER_ACCOUNT: Limit = Limit {
    name: "login-account",
    max: 10,
    window: Duration::minutes(15),
};

/// Wrong passwords from one client address in 15 minutes, whatever the accounts tried
/// (credential stuffing from one place).
pub const LOGIN_FAILURES_PER_CLIENT: Limit = Limit {
    name: "login-client",
    max: 30,
    window: Duration::minutes(15),
};

/// Requests per credential (API token, session or, without one, client address) per
/// minute on `/api/v2` and `/graphql`. The default, 6,000 (100 a second sustained), is far
/// above what the ingest benchmark's single token sends and far below what would starve
/// other tenants; `OPENFLEX_API_REQUESTS_PER_MINUTE` sets it.
pub fn api_requests(per_minute: u32) -> Limit {
    Limit {
        name: "api",
        max: i64::from(per_minute),
        window: Duration::minutes(1),
    }
}

/// "Forgot your password" requests per client address per hour.
pub const PASSWORD_RESETS_PER_CLIENT: Limit = Limit {
    name: "reset-client",
    max: 10,
    window: Duration::hours(1),
};

/// Reset links e-mailed per account per hour; more requests are answered alike but send
/// nothing.
pub const PASSWORD_RESETS_PER_ACCOUNT: Limit = Limit {
    name: "reset-account",
    max: 3,
    window: Duration::hours(1),
};

fn window_start(limit: Limit, now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = limit.window.num_seconds().max(1);
    let start = now.timestamp().div_euclid(secs) * secs;
    DateTime::from_timestamp(start, 0).unwrap_or(now)
}

fn refusal(limit: Limit, now: DateTime<Utc>) -> ServiceError {
    let end = window_start(limit, now) + limit.window;
    ServiceError::RateLimited {
        retry_after_seconds: (end - now).num_seconds().max(1),
    }
}

fn stored_key(limit: Limit, key: &str) -> String {
    // Keys may be e-mail addresses or digests: keep them bounded and without secrets.
    let key: String = key.chars().take(160).collect();
    format!("{}:{key}", limit.name)
}

/// The stored key and window of `key` now, as statement parameters, and the two
/// placeholders for them in this database's dialect.
fn bind(
    db: &impl ConnectionTrait,
    limit: Limit,
    key: &str,
    now: DateTime<Utc>,
) -> (DbBackend, &'static str, [sea_orm::Value; 2]) {
    let backend = db.get_database_backend();
    let placeholders = if backend == DbBackend::Postgres {
        "$1, $2"
    } else {
        "?, ?"
    };
    let values = [
        stored_key(limit, key).into(),
        window_start(limit, now).into(),
    ];
    (backend, placeholders, values)
}

/// The `hits` column of a row, 0 without one.
fn hits_of(row: Option<sea_orm::QueryResult>) -> Result<i64, ServiceError> {
    Ok(match row {
        Some(row) => i64::from(row.try_get::<i32>("", "hits")?),
        None => 0,
    })
}

/// Counts one event for `key`; refuses once the window holds more than `max`.
pub async fn hit(
    db: &impl ConnectionTrait,
    limit: Limit,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (backend, placeholders, values) = bind(db, limit, key, now);
    let sql = format!(
        "INSERT INTO rate_limit_hits (key, window_start, hits) VALUES ({placeholders}, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1
         RETURNING hits"
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    if hits_of(row)? > limit.max {
        return Err(refusal(limit, now));
    }
    Ok(())
}

/// Refuses when `key` has already used up its window, without counting anything.
pub async fn check(
    db: &impl ConnectionTrait,
    limit: Limit,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (backend, placeholders, values) = bind(db, limit, key, now);
    let sql =
        format!("SELECT hits FROM rate_limit_hits WHERE (key, window_start) = ({placeholders})");
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    if hits_of(row)? >= limit.max {
        return Err(refusal(limit, now));
    }
    Ok(())
}

/// Deletes windows that ended more than a day ago (the scheduler's housekeeping).
pub async fn sweep(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let backend = db.get_database_backend();
    let a = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM rate_limit_hits WHERE window_start < {a}"),
            [(now - Duration::days(1)).into()],
        ))
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_are_aligned_and_the_wait_is_what_is_left_of_one() {
        let now = Utc
            .with_ymd_and_hms(2025, 2, 19, 12, 7, 30)
            .single()
            .unwrap_or_default();
        assert_eq!(
            window_start(LOGIN_FAILURES_PER_ACCOUNT, now),
            Utc.with_ymd_and_hms(2025, 2, 19, 12, 0, 0)
                .single()
                .unwrap_or_default()
        );
        match refusal(LOGIN_FAILURES_PER_ACCOUNT, now) {
            ServiceError::RateLimited {
                retry_after_seconds,
            } => assert_eq!(retry_after_seconds, 450),
            other => panic!("{other:?}"),
        }
    }
}
