//! Reports (guide §3.8, §3.9): event performance reports and earnings, monthly statements.
//! JSON, or CSV with `Accept: text/csv` (or `format=csv`), PDF with `Accept: application/pdf`
//! (or `format=pdf`), and zips of the final ones.

use super::Caller;
use super::params::{Params, PathParam};
use crate::problem::{Problem, ProblemDetails};
use crate::services::settlement::{files as report_files, statements};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use shared::{
    EventDocument, EventReport, FileFormat, Month, PublicId, SampleKind, Statement, StatementId,
    TableFormat, ZoneSlug,
};
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// The month (Europe/London).
    month: Month,
    /// A zone id, to list one zone only.
    zone_id: Option<ZoneSlug>,
    /// `csv` for CSV; without it, `Accept: text/csv` asks for CSV.
    format: Option<TableFormat>,
}

/// The list format asked for: `format` if given, else the `Accept` header.
fn table_format(format: Option<TableFormat>, headers: &HeaderMap) -> TableFormat {
    format.unwrap_or(if super::accepts_csv(headers) {
        TableFormat::Csv
    } else {
        TableFormat::Json
    })
}

/// The document format asked for: `format` if given, else the `Accept` header.
fn file_format(format: Option<FileFormat>, headers: &HeaderMap) -> FileFormat {
    let accepts_pdf = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/pdf"));
    format.unwrap_or(if accepts_pdf {
        FileFormat::Pdf
    } else if super::accepts_csv(headers) {
        FileFormat::Csv
    } else {
        FileFormat::Json
    })
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
    Params(q): Params<MonthQuery>,
) -> Result<Response, Problem> {
    let month = q.month;
    let reports = statements::event_reports(
        &state.db,
        &actor,
        state.clock.now(),
        month,
        q.zone_id.as_ref().map(ZoneSlug::as_str),
    )
    .await?;
    if table_format(q.format, &headers) == TableFormat::Csv {
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
    #[serde(default)]
    report: EventDocument,
    /// `csv` or `pdf`; without it, `Accept: text/csv` or `application/pdf` asks for one.
    format: Option<FileFormat>,
}

/// One event's report with every interval's baseline, reading, response and delivery.
/// CSV or PDF: the performance report, or with `report=earnings` the earnings statement.
#[utoipa::path(get, path = "/api/v2/event-reports/{id}", tag = "reports",
    params(("id" = PublicId, Path, description = "The dispatch id"), ReportQuery),
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
    PathParam(id): PathParam<PublicId>,
    Params(q): Params<ReportQuery>,
) -> Result<Response, Problem> {
    let earnings = q.report == EventDocument::Earnings;
    let report =
        statements::event_report(&state.db, &actor, state.clock.now(), id.as_str()).await?;
    let format = file_format(q.format, &headers);
    if format == FileFormat::Pdf {
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
    if format == FileFormat::Csv {
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
#[utoipa::path(get, path = "/api/v2/statements", tag = "reports", operation_id = "statements",
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
    Params(q): Params<MonthQuery>,
) -> Result<Response, Problem> {
    let month = q.month;
    let list = statements::statements(
        &state.db,
        &actor,
        state.clock.now(),
        month,
        q.zone_id.as_ref().map(ZoneSlug::as_str),
    )
    .await?;
    if table_format(q.format, &headers) == TableFormat::Csv {
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
    #[param(minimum = 1)]
    version: Option<i32>,
    /// `csv` or `pdf`; without it, `Accept: text/csv` or `application/pdf` asks for one.
    format: Option<FileFormat>,
}

/// One statement (`{month}.{zone id}.{company id}`): the latest version, or `version`.
/// JSON, CSV or PDF.
#[utoipa::path(get, path = "/api/v2/statements/{id}", tag = "reports",
    params(("id" = StatementId, Path, description = "The statement id"), StatementQuery),
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
    PathParam(id): PathParam<StatementId>,
    Params(q): Params<StatementQuery>,
) -> Result<Response, Problem> {
    let (statement, _) = statements::statement(
        &state.db,
        &actor,
        state.clock.now(),
        &id.to_string(),
        q.version,
    )
    .await?;
    let format = file_format(q.format, &headers);
    if format == FileFormat::Pdf {
        let name = format!("statement-{}-v{}.pdf", statement.id, statement.version);
        return Ok(file(
            "application/pdf",
            name,
            report_files::statement_pdf(&statement),
        ));
    }
    if format == FileFormat::Csv {
        let name = format!("statement-{}-v{}.csv", statement.id, statement.version);
        return Ok(csv_file(
            name,
            report_files::statements_csv(std::slice::from_ref(&statement))?,
        ));
    }
    Ok(Json(statement).into_response())
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
    /// The month (Europe/London).
    month: Month,
    /// A zone id, to include one zone only.
    zone_id: Option<ZoneSlug>,
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
    Params(q): Params<ZipQuery>,
) -> Result<Response, Problem> {
    let month = q.month;
    let zone = q.zone_id.as_ref().map(ZoneSlug::as_str);
    let reports = statements::final_event_reports(&state.db, &actor, month, zone).await?;
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
    Params(q): Params<ZipQuery>,
) -> Result<Response, Problem> {
    let month = q.month;
    let list = statements::final_statements(
        &state.db,
        &actor,
        state.clock.now(),
        month,
        q.zone_id.as_ref().map(ZoneSlug::as_str),
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

/// A sample as JSON: an event report (`performance`, `earnings`) or a statement
/// (`statement`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SampleReport {
    EventReport(EventReport),
    Statement(Statement),
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SampleQuery {
    /// `csv`, `pdf` or `json` (the default).
    #[serde(default)]
    format: FileFormat,
}

/// API Testing › Sample Reports: the example `performance` report, `earnings` statement or
/// monthly `statement`, computed by the settlement code from the caller's sandbox data with
/// an invented event yesterday 16:00–17:00 London. Nothing is stored.
#[utoipa::path(get, path = "/api/v2/sample-reports/{kind}", tag = "reports",
    params(("kind" = SampleKind, Path, description = "Which sample"), SampleQuery),
    responses(
        (status = 200, description = "The sample, as JSON, CSV or PDF", content(
            (SampleReport = "application/json"),
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
    PathParam(kind): PathParam<SampleKind>,
    Params(q): Params<SampleQuery>,
) -> Result<Response, Problem> {
    use {FileFormat as F, SampleKind as K};
    let (report, statement) =
        crate::services::settlement::sample(&state.db, &actor, state.clock.now()).await?;
    let name = |ext: &str| format!("sample-{}.{ext}", kind.as_str());
    Ok(match (kind, q.format) {
        (K::Statement, F::Json) => Json(SampleReport::Statement(statement)).into_response(),
        (_, F::Json) => Json(SampleReport::EventReport(report)).into_response(),
        (K::Performance, F::Csv) => csv_file(name("csv"), report_files::performance_csv(&report)?),
        (K::Earnings, F::Csv) => csv_file(
            name("csv"),
            report_files::earnings_csv(std::slice::from_ref(&report))?,
        ),
        (K::Statement, F::Csv) => csv_file(
            name("csv"),
            report_files::statements_csv(std::slice::from_ref(&statement))?,
        ),
        (K::Performance, F::Pdf) => file(
            "application/pdf",
            name("pdf"),
            report_files::performance_pdf(&report),
        ),
        (K::Earnings, F::Pdf) => file(
            "application/pdf",
            name("pdf"),
            report_files::earnings_pdf(&report),
        ),
        (K::Statement, F::Pdf) => file(
            "application/pdf",
            name("pdf"),
            report_files::statement_pdf(&statement),
        ),
    })
}
