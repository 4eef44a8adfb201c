//! Downloads of event reports and statements (guide §3.8, §3.9): CSV, PDF and zip. Formatting is
//! fixed (kWh to 3 places, % to 1, £ to 2) so the same figures always give the same bytes
//! and every total can be checked against the rows above it.

use super::pdf;
use crate::services::{ServiceError, corrupt};
use shared::{EventReport, Statement};

fn kwh(v: f64) -> String {
    format!("{v:.3}")
}

fn pct(v: f64) -> String {
    format!("{v:.1}")
}

fn gbp(v: f64) -> String {
    format!("{v:.2}")
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<String, ServiceError> {
    let bytes = writer
        .into_inner()
        .map_err(|e| corrupt(&format!("CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|_| corrupt("CSV encoding"))
}

fn csv_error(e: csv::Error) -> ServiceError {
    corrupt(&format!("CSV: {e}"))
}

pub const EARNINGS_HEADER: [&str; 25] = [
    "dispatch_id",
    "status",
    "version",
    "zone",
    "programme",
    "company",
    "dispatch_group_id",
    "dispatch_group",
    "start",
    "end",
    "power_change_kw",
    "instructed_kwh",
    "delivered_kwh",
    "delivery_percent",
    "completeness_percent",
    "missing_intervals",
    "delivered_mwh",
    "utilisation_price_applied",
    "scale_factor",
    "utilisation_gbp",
    "accepted_mw",
    "availability_hours",
    "availability_price_applied",
    "performance_factor",
    "availability_gbp",
];

fn earnings_row(r: &EventReport) -> Vec<String> {
    let e = &r.earnings;
    vec![
        r.id.to_string(),
        r.status.as_str().to_owned(),
        r.version.to_string(),
        r.zone_id.clone(),
        r.programme.clone(),
        r.company.clone(),
        r.dispatch_group_id.to_string(),
        r.dispatch_group.clone(),
        crate::services::rfc3339(r.start),
        crate::services::rfc3339(r.end),
        r.power_change_kw.to_string(),
        kwh(r.instructed_kwh),
        kwh(r.delivered_kwh),
        pct(r.delivery_percent),
        pct(r.completeness_percent),
        r.missing_intervals.to_string(),
        format!("{:.6}", e.delivered_mwh),
        gbp(e.utilisation_price_applied),
        format!("{:.4}", e.scale_factor),
        gbp(e.utilisation_gbp),
        format!("{:.3}", e.accepted_mw),
        format!("{:.2}", e.availability_hours),
        gbp(e.availability_price_applied),
        format!("{:.4}", e.performance_factor),
        gbp(e.availability_gbp),
    ]
}

/// Earnings of events, one row each, with `total_gbp` last.
pub fn earnings_csv(reports: &[EventReport]) -> Result<String, ServiceError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = EARNINGS_HEADER.to_vec();
    header.push("total_gbp");
    w.write_record(crate::services::csv_record(&header))
        .map_err(csv_error)?;
    for r in reports {
        let mut row = earnings_row(r);
        row.push(gbp(r.earnings.total_gbp));
        w.write_record(crate::services::csv_record(&row))
            .map_err(csv_error)?;
    }
    finish(w)
}

/// An event's performance, one row per unit and interval: baseline, reading, response
/// and delivered in the reading's unit (kW per minute, kWh per half-hour).
pub fn performance_csv(report: &EventReport) -> Result<String, ServiceError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(crate::services::csv_record([
        "dispatch_id",
        "meterable_unit_id",
        "meterable_unit",
        "granularity",
        "interval_start",
        "instructed_kw",
        "baseline",
        "reading",
        "response",
        "delivered",
    ]))
    .map_err(csv_error)?;
    for unit in &report.units {
        for i in &unit.intervals {
            w.write_record(crate::services::csv_record([
                report.id.to_string(),
                unit.meterable_unit_id.to_string(),
                unit.meterable_unit.clone(),
                unit.metering_granularity.as_str().to_owned(),
                crate::services::rfc3339(i.start),
                unit.instructed_kw.to_string(),
                kwh(i.baseline),
                i.reading.map(kwh).unwrap_or_default(),
                kwh(i.response),
                kwh(i.delivered),
            ]))
            .map_err(csv_error)?;
        }
    }
    finish(w)
}

/// A statement's events, windows and delivered MWh over all its lines.
fn counts(s: &Statement) -> (i32, i32, f64) {
    s.lines.iter().fold((0, 0, 0.0), |(e, w, m), l| {
        (e + l.events, w + l.windows, m + l.delivered_mwh)
    })
}

/// Statements, one row per line and a total row per statement.
pub fn statements_csv(statements: &[Statement]) -> Result<String, ServiceError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(crate::services::csv_record([
        "statement_id",
        "month",
        "status",
        "version",
        "company",
        "company_number",
        "vat_number",
        "billing_address",
        "operator",
        "zone",
        "dispatch_group_id",
        "dispatch_group",
        "programme",
        "events",
        "windows",
        "delivered_mwh",
        "availability_gbp",
        "utilisation_gbp",
        "total_gbp",
    ]))
    .map_err(csv_error)?;
    for s in statements {
        let head = [
            s.id.clone(),
            s.month.clone(),
            s.status.as_str().to_owned(),
            s.version.to_string(),
            s.company.clone(),
            s.company_number.clone(),
            s.vat_number.clone().unwrap_or_default(),
            s.billing_address.clone(),
            s.operator.clone(),
            s.zone_id.clone(),
        ];
        for l in &s.lines {
            let mut row = head.to_vec();
            row.extend([
                l.dispatch_group_id.to_string(),
                l.dispatch_group.clone(),
                l.programme.clone(),
                l.events.to_string(),
                l.windows.to_string(),
                format!("{:.6}", l.delivered_mwh),
                gbp(l.availability_gbp),
                gbp(l.utilisation_gbp),
                gbp(l.total_gbp),
            ]);
            w.write_record(crate::services::csv_record(&row))
                .map_err(csv_error)?;
        }
        let mut total = head.to_vec();
        let (events, windows, mwh) = counts(s);
        total.extend([
            String::new(),
            "TOTAL".to_owned(),
            String::new(),
            events.to_string(),
            windows.to_string(),
            format!("{mwh:.6}"),
            gbp(s.availability_gbp),
            gbp(s.utilisation_gbp),
            gbp(s.total_gbp),
        ]);
        w.write_record(crate::services::csv_record(&total))
            .map_err(csv_error)?;
    }
    finish(w)
}

fn column(heading: &'static str, chars: usize, right: bool) -> pdf::Column {
    pdf::Column {
        heading,
        chars,
        right,
    }
}

fn status_line(status: shared::ReportStatus, version: i32) -> String {
    match status {
        shared::ReportStatus::Provisional => {
            "PROVISIONAL: recomputed as readings arrive until the month is final".to_owned()
        }
        shared::ReportStatus::Final => format!("FINAL, version {version}"),
    }
}

fn event_lines(r: &EventReport) -> Vec<String> {
    vec![
        status_line(r.status, r.version),
        format!(
            "Dispatch {} · {} ({})",
            r.id, r.dispatch_group, r.dispatch_group_id
        ),
        format!("{} · {} · {}", r.company, r.zone, r.programme),
        format!(
            "{} to {} (UTC) · instruction {} kW",
            crate::services::rfc3339(r.start),
            crate::services::rfc3339(r.end),
            r.power_change_kw
        ),
        format!(
            "Instructed {} kWh · delivered {} kWh ({} %) · data completeness {} % ({} intervals missing)",
            kwh(r.instructed_kwh),
            kwh(r.delivered_kwh),
            pct(r.delivery_percent),
            pct(r.completeness_percent),
            r.missing_intervals
        ),
    ]
}

/// An event's performance report as a PDF: its totals, then every interval of each unit.
pub fn performance_pdf(r: &EventReport) -> Vec<u8> {
    let tables = r
        .units
        .iter()
        .map(|u| pdf::Table {
            heading: format!(
                "{} ({}) · {} · share {} kW · delivered {} of {} kWh",
                u.meterable_unit,
                u.meterable_unit_id,
                u.metering_granularity.as_str(),
                u.instructed_kw,
                kwh(u.delivered_kwh),
                kwh(u.instructed_kwh)
            ),
            columns: vec![
                column("Interval start (UTC)", 20, false),
                column("Baseline", 12, true),
                column("Reading", 12, true),
                column("Response", 12, true),
                column("Delivered", 12, true),
            ],
            rows: u
                .intervals
                .iter()
                .map(|i| {
                    vec![
                        crate::services::rfc3339(i.start),
                        kwh(i.baseline),
                        i.reading.map(kwh).unwrap_or_else(|| "missing".to_owned()),
                        kwh(i.response),
                        kwh(i.delivered),
                    ]
                })
                .collect(),
        })
        .collect();
    pdf::render(&pdf::Document {
        title: "Event performance report".to_owned(),
        lines: event_lines(r),
        tables,
    })
}

/// An event's earnings statement as a PDF, every figure beside the ones it comes from.
pub fn earnings_pdf(r: &EventReport) -> Vec<u8> {
    let e = &r.earnings;
    let rows = vec![
        vec![
            "Utilisation".to_owned(),
            format!("{:.6} MWh delivered", e.delivered_mwh),
            format!(
                "£{} /MWh (ceiling applied)",
                gbp(e.utilisation_price_applied)
            ),
            format!("× {:.4} ({:?} scale)", e.scale_factor, e.delivery_scale),
            format!("£{}", gbp(e.utilisation_gbp)),
        ],
        vec![
            "Availability".to_owned(),
            format!("{:.3} MW × {:.2} h", e.accepted_mw, e.availability_hours),
            format!("£{} /MW/h", gbp(e.availability_price_applied)),
            format!("× {:.4} performance", e.performance_factor),
            format!("£{}", gbp(e.availability_gbp)),
        ],
        vec![
            "Total".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            format!("£{}", gbp(e.total_gbp)),
        ],
    ];
    pdf::render(&pdf::Document {
        title: "Event earnings statement".to_owned(),
        lines: event_lines(r),
        tables: vec![pdf::Table {
            heading: "Earnings".to_owned(),
            columns: vec![
                column("Payment", 14, false),
                column("Quantity", 22, false),
                column("Price", 28, false),
                column("Factor", 24, false),
                column("Amount", 12, true),
            ],
            rows,
        }],
    })
}

/// A monthly statement as a PDF, for the FSP's invoice.
pub fn statement_pdf(s: &Statement) -> Vec<u8> {
    let mut lines = vec![
        status_line(s.status, s.version),
        format!("{} · statement {}", s.company, s.id),
        format!(
            "Companies House {} · VAT {} · {}",
            s.company_number,
            s.vat_number.as_deref().unwrap_or("not registered"),
            s.billing_address
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("{} · {} · month {}", s.operator, s.zone, s.month),
    ];
    if let Some(reason) = &s.reason {
        lines.push(format!("Re-issued: {reason}"));
    }
    if let Some(at) = s.issued_at {
        lines.push(format!("Issued {}", crate::services::rfc3339(at)));
    }
    let mut rows: Vec<Vec<String>> = s
        .lines
        .iter()
        .map(|l| {
            vec![
                l.dispatch_group.clone(),
                l.programme.clone(),
                l.events.to_string(),
                l.windows.to_string(),
                format!("{:.6}", l.delivered_mwh),
                gbp(l.availability_gbp),
                gbp(l.utilisation_gbp),
                gbp(l.total_gbp),
            ]
        })
        .collect();
    let (events, windows, mwh) = counts(s);
    rows.push(vec![
        "TOTAL".to_owned(),
        String::new(),
        events.to_string(),
        windows.to_string(),
        format!("{mwh:.6}"),
        gbp(s.availability_gbp),
        gbp(s.utilisation_gbp),
        gbp(s.total_gbp),
    ]);
    pdf::render(&pdf::Document {
        title: format!("Statement · {}", s.month),
        lines,
        tables: vec![pdf::Table {
            heading: "Lines (£)".to_owned(),
            columns: vec![
                column("Dispatch group", 24, false),
                column("Programme", 20, false),
                column("Events", 7, true),
                column("Windows", 8, true),
                column("Delivered MWh", 14, true),
                column("Availability", 13, true),
                column("Utilisation", 13, true),
                column("Total", 13, true),
            ],
            rows,
        }],
    })
}

/// Final event reports in one zip: `performance-{id}.csv/.pdf` and
/// `earnings-{id}.csv/.pdf` for each.
pub fn event_reports_zip(reports: &[EventReport]) -> Result<Vec<u8>, ServiceError> {
    let mut files = Vec::with_capacity(reports.len() * 4);
    for r in reports {
        files.push((
            format!("performance-{}.csv", r.id),
            performance_csv(r)?.into_bytes(),
        ));
        files.push((format!("performance-{}.pdf", r.id), performance_pdf(r)));
        files.push((
            format!("earnings-{}.csv", r.id),
            earnings_csv(std::slice::from_ref(r))?.into_bytes(),
        ));
        files.push((format!("earnings-{}.pdf", r.id), earnings_pdf(r)));
    }
    zip(&files)
}

/// Final statements in one zip: `statement-{id}-v{version}.csv/.pdf` for each.
pub fn statements_zip(statements: &[Statement]) -> Result<Vec<u8>, ServiceError> {
    let mut files = Vec::with_capacity(statements.len() * 2);
    for s in statements {
        let stem = format!("statement-{}-v{}", s.id, s.version);
        files.push((
            format!("{stem}.csv"),
            statements_csv(std::slice::from_ref(s))?.into_bytes(),
        ));
        files.push((format!("{stem}.pdf"), statement_pdf(s)));
    }
    zip(&files)
}

/// Files in a zip with fixed timestamps, so the same files always give the same bytes.
fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ServiceError> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in files {
        writer
            .start_file(name.as_str(), options)
            .map_err(|e| corrupt(&format!("zip: {e}")))?;
        writer
            .write_all(bytes)
            .map_err(|e| corrupt(&format!("zip: {e}")))?;
    }
    Ok(writer
        .finish()
        .map_err(|e| corrupt(&format!("zip: {e}")))?
        .into_inner())
}
