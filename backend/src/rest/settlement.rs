//! Reports (guide §3.8, §3.9): event performance reports and earnings, monthly statements.
//! JSON, or CSV with `Accept: text/csv` (or `format=csv`), PDF with `Accept: application/pdf`
//! (or `format=pdf`), and zips of the final ones.

use super::Caller;
use crate::problem::{Problem, ProblemDetails};
use crate::services::settlement::{files as report_files, statements};
use crate::state::AppState;
use axum::extract::{Path, Query, State, rejection::QueryRejection};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use shared::{EventReport, Month, Statement};
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// The month, `YYYY-MM` (Europe/London).
    month: Option<String>,
    /// A zone id, to list one zone only.
    zone_id: Option<String>,
    /// `csv` for CSV (the same as `Accept: text/csv`).
    format: Option<String>,
}

fn month_param(month: Option<&str>) -> Result<Month, Problem> {
    let month = month.ok_or_else(|| Problem::bad_parameter("month", "is required (YYYY-MM)"))?;
    Month::parse(month).map_err(|e| Problem::bad_parameter("month", e))
}

fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> bool {
    format == Some("csv") || super::accepts_csv(headers)
}

fn csv_file(name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Event reports of the caller's events that ended in `month`: performance totals and
/// earnings, provisional until the month is final (00:00 London on the 15th of the next
/// month). CSV: one row per event with its earnings.
#[utoipa::path(get, path = "/api/v2/event-reports", tag = "reports",
    params(MonthQuery),
    responses(
        (status = 200, body = Vec<EventReport>, content(
            (Vec<EventReport> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "month missing or not YYYY-MM", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such zone the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn event_reports(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    query: Result<Query<MonthQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let month = month_param(q.month.as_deref())?;
    let reports = statements::event_reports(
        &state.db,
        &actor,
        state.clock.now(),
        month,
        q.zone_id.as_deref(),
    )
    .await?;
    if wants_csv(q.format.as_deref(), &headers) {
        return Ok(csv_file(
            format!("earnings-{month}.csv"),
            report_files::earnings_csv(&reports)?,
        ));
    }
    Ok(Json(reports).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// For CSV and PDF: `performance` (every interval, the default) or `earnings`.
    report: Option<String>,
    /// `csv` or `pdf` (the same as `Accept: text/csv` or `application/pdf`).
    format: Option<String>,
}

/// One event's report with every interval's baseline, reading, response and delivery.
/// CSV or PDF: the performance report, or with `report=earnings` the earnings statement.
#[utoipa::path(get, path = "/api/v2/event-reports/{id}", tag = "reports",
    params(("id" = String, Path, description = "The dispatch id"), ReportQuery),
    responses(
        (status = 200, body = EventReport, content(
            (EventReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 400, description = "report is neither performance nor earnings", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No ended dispatch of the caller's with that id", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn event_report(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let earnings = match q.report.as_deref() {
        None | Some("performance") => false,
        Some("earnings") => true,
        Some(_) => {
            return Err(Problem::bad_parameter(
                "report",
                "must be performance or earnings",
            ));
        }
    };
    let report = statements::event_report(&state.db, &actor, state.clock.now(), &id).await?;
    if wants_pdf(q.format.as_deref(), &headers) {
        return Ok(if earnings {
            file(
                "application/pdf",
                format!("earnings-{id}.pdf"),
                report_files::earnings_pdf(&report),
            )
        } else {
            file(
                "application/pdf",
                format!("performance-{id}.pdf"),
                report_files::performance_pdf(&report),
            )
        });
    }
    if wants_csv(q.format.as_deref(), &headers) {
        return Ok(if earnings {
            csv_file(
                format!("earnings-{id}.csv"),
                report_files::earnings_csv(std::slice::from_ref(&report))?,
            )
        } else {
            csv_file(
                format!("performance-{id}.csv"),
                report_files::performance_csv(&report)?,
            )
        });
    }
    Ok(Json(report).into_response())
}

/// Monthly statements of `month` per company and zone: lines per dispatch group and
/// programme (availability, utilisation, total); provisional until the 15th of the next
/// month, then final. CSV: one row per line and a TOTAL row per statement.
#[utoipa::path(get, path = "/api/v2/statements", tag = "reports",
    params(MonthQuery),
    responses(
        (status = 200, body = Vec<Statement>, content(
            (Vec<Statement> = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "month missing or not YYYY-MM", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such zone the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn statements_list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    query: Result<Query<MonthQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let month = month_param(q.month.as_deref())?;
    let list = statements::statements(
        &state.db,
        &actor,
        state.clock.now(),
        month,
        q.zone_id.as_deref(),
    )
    .await?;
    if wants_csv(q.format.as_deref(), &headers) {
        return Ok(csv_file(
            format!("statements-{month}.csv"),
            report_files::statements_csv(&list)?,
        ));
    }
    Ok(Json(list).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// A final version; the latest without it.
    version: Option<i32>,
    /// `csv` or `pdf` (the same as `Accept: text/csv` or `application/pdf`).
    format: Option<String>,
}

/// One statement (`{month}.{zone id}.{company id}`): the latest version, or `version`.
/// JSON, CSV or PDF.
#[utoipa::path(get, path = "/api/v2/statements/{id}", tag = "reports",
    params(("id" = String, Path, description = "The statement id"), StatementQuery),
    responses(
        (status = 200, body = Statement, content(
            (Statement = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such statement (or version) the caller may see", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn statement(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<StatementQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let (statement, _) =
        statements::statement(&state.db, &actor, state.clock.now(), &id, q.version).await?;
    if wants_pdf(q.format.as_deref(), &headers) {
        let name = format!("statement-{}-v{}.pdf", statement.id, statement.version);
        return Ok(file(
            "application/pdf",
            name,
            report_files::statement_pdf(&statement),
        ));
    }
    if wants_csv(q.format.as_deref(), &headers) {
        let name = format!("statement-{}-v{}.csv", statement.id, statement.version);
        return Ok(csv_file(
            name,
            report_files::statements_csv(std::slice::from_ref(&statement))?,
        ));
    }
    Ok(Json(statement).into_response())
}

fn wants_pdf(format: Option<&str>, headers: &HeaderMap) -> bool {
    format == Some("pdf")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/pdf"))
}

fn file(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZipQuery {
    /// The month, `YYYY-MM` (Europe/London).
    month: Option<String>,
    /// A zone id, to include one zone only.
    zone_id: Option<String>,
}

/// Every final event report of `month` (the list's, not yet final ones left out) in one
/// zip: `performance-{id}.csv/.pdf` and `earnings-{id}.csv/.pdf` for each. The same final
/// reports always give the same bytes.
#[utoipa::path(get, path = "/api/v2/event-reports/zip", tag = "reports",
    params(ZipQuery),
    responses(
        (status = 200, description = "A zip file", content_type = "application/zip", body = Vec<u8>),
        (status = 400, description = "month missing or not YYYY-MM", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No final reports for that month (yet)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn event_reports_zip(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<ZipQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let month = month_param(q.month.as_deref())?;
    let reports =
        statements::final_event_reports(&state.db, &actor, month, q.zone_id.as_deref()).await?;
    if reports.is_empty() {
        return Err(Problem::not_found("final event reports for that month"));
    }
    Ok(file(
        "application/zip",
        format!("event-reports-{month}.zip"),
        report_files::event_reports_zip(&reports)?,
    ))
}

/// Every final statement of `month` (the latest version of each) in one zip:
/// `statement-{id}-v{version}.csv/.pdf`. The same statements always give the same bytes.
#[utoipa::path(get, path = "/api/v2/statements/zip", tag = "reports",
    params(ZipQuery),
    responses(
        (status = 200, description = "A zip file", content_type = "application/zip", body = Vec<u8>),
        (status = 400, description = "month missing or not YYYY-MM", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No final statements for that month (yet)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn statements_zip(
    State(state): State<AppState>,
    Caller(actor): Caller,
    query: Result<Query<ZipQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    let month = month_param(q.month.as_deref())?;
    let list = statements::final_statements(
        &state.db,
        &actor,
        state.clock.now(),
        month,
        q.zone_id.as_deref(),
    )
    .await?;
    if list.is_empty() {
        return Err(Problem::not_found("final statements for that month"));
    }
    Ok(file(
        "application/zip",
        format!("statements-{month}.zip"),
        report_files::statements_zip(&list)?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SampleQuery {
    /// `csv`, `pdf` or `json` (the default).
    format: Option<String>,
}

/// API Testing › Sample Reports: the example `performance` report, `earnings` statement or
/// monthly `statement`, computed by the settlement code from the caller's sandbox data with
/// an invented event yesterday 16:00–17:00 London. Nothing is stored.
#[utoipa::path(get, path = "/api/v2/sample-reports/{kind}", tag = "reports",
    params(("kind" = String, Path, description = "performance, earnings or statement"), SampleQuery),
    responses(
        (status = 200, description = "The sample, as JSON, CSV or PDF", content(
            (EventReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 400, description = "kind or format is not one of those listed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token or session", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no sandbox dispatch group with a per-minute unit", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn sample(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(kind): Path<String>,
    query: Result<Query<SampleQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(q) = query.map_err(|e| Problem::bad_parameter("query", e.body_text()))?;
    if !["performance", "earnings", "statement"].contains(&kind.as_str()) {
        return Err(Problem::bad_parameter(
            "kind",
            "must be performance, earnings or statement",
        ));
    }
    let format = q.format.as_deref().unwrap_or("json");
    if !["json", "csv", "pdf"].contains(&format) {
        return Err(Problem::bad_parameter("format", "must be json, csv or pdf"));
    }
    let (report, statement) =
        crate::services::settlement::sample(&state.db, &actor, state.clock.now()).await?;
    let name = |ext: &str| format!("sample-{kind}.{ext}");
    Ok(match (kind.as_str(), format) {
        ("statement", "json") => Json(statement).into_response(),
        (_, "json") => Json(report).into_response(),
        ("performance", "csv") => csv_file(name("csv"), report_files::performance_csv(&report)?),
        ("earnings", "csv") => csv_file(
            name("csv"),
            report_files::earnings_csv(std::slice::from_ref(&report))?,
        ),
        ("statement", "csv") => csv_file(
            name("csv"),
            report_files::statements_csv(std::slice::from_ref(&statement))?,
        ),
        ("performance", _) => file(
            "application/pdf",
            name("pdf"),
            report_files::performance_pdf(&report),
        ),
        ("earnings", _) => file(
            "application/pdf",
            name("pdf"),
            report_files::earnings_pdf(&report),
        ),
        _ => file(
            "application/pdf",
            name("pdf"),
            report_files::statement_pdf(&statement),
        ),
    })
}
