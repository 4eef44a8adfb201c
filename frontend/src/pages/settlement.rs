//! Reports (guide §3.8, §3.9): Event Reports with Performance and Earnings downloads (CSV
//! and PDF), an event's page with its chart, and Invoices/Statements with their versions.
//! Downloads are plain links to the Participant API, which takes the session cookie.

use crate::api::{accounts, assets, settlement};
use crate::pages::meterable_units::today;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use shared::{Direction, EventReport, Month, ReportStatus, Statement, StatementDetail};

fn status_label(status: ReportStatus, version: i32) -> String {
    match status {
        ReportStatus::Provisional => "Provisional".to_owned(),
        ReportStatus::Final if version > 1 => format!("Final (v{version})"),
        ReportStatus::Final => "Final".to_owned(),
    }
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%d %b %Y %H:%M").to_string()
}

/// The month and zone filters, kept in the page's query string.
fn filters() -> (Memo<Month>, Memo<Option<String>>) {
    let query = use_query_map();
    let month = Memo::new(move |_| {
        query
            .with(|q| q.get("month"))
            .and_then(|m| Month::parse(&m).ok())
            .unwrap_or_else(|| Month::of(today()).previous())
    });
    let zone = Memo::new(move |_| query.with(|q| q.get("zone")).filter(|z| !z.is_empty()));
    (month, zone)
}

#[component]
fn Filters(base: &'static str, month: Memo<Month>, zone: Memo<Option<String>>) -> impl IntoView {
    let navigate = use_navigate();
    let zones = LocalResource::new(assets::zones);
    let go = move |m: Month, z: Option<String>| {
        let zone = z.map(|z| format!("&zone={z}")).unwrap_or_default();
        navigate(&format!("{base}?month={m}{zone}"), Default::default());
    };
    let go_zone = go.clone();
    view! {
        <div class="toolbar">
            <label>"Month "<input type="month" id="report-month" prop:value=move || month.get().to_string()
                on:change=move |ev| if let Ok(m) = Month::parse(&event_target_value(&ev)) { go(m, zone.get_untracked()) }/></label>" "
            <label>"Zone "<select id="report-zone" on:change=move |ev| {
                let z = event_target_value(&ev);
                go_zone(month.get_untracked(), (!z.is_empty()).then_some(z))
            }>
                <option value="" selected=move || zone.get().is_none()>"All zones"</option>
                {move || zones.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|z| {
                    let id = z.id.to_string();
                    view! { <option value=id.clone() selected=move || zone.get().as_deref() == Some(id.as_str())>{z.name}</option> }
                }).collect_view()}
            </select></label>
        </div>
    }
}

fn query_suffix(month: Month, zone: &Option<String>) -> String {
    let zone = zone
        .as_ref()
        .map(|z| format!("&zone_id={z}"))
        .unwrap_or_default();
    format!("month={month}{zone}")
}

/// Reports › Event Reports.
#[component]
pub fn EventReportsPage() -> impl IntoView {
    let (month, zone) = filters();
    let reports = LocalResource::new(move || {
        let (m, z) = (month.get(), zone.get());
        async move { settlement::event_reports(&m.to_string(), z.as_deref()).await }
    });
    view! {
        <h1>"Event Reports"</h1>
        <Filters base="/reports/event-reports" month=month zone=zone/>
        <p class="muted">"A provisional performance report and earnings statement appear as soon as an event ends; they follow late readings until they are finalised on the 15th of the following month."</p>
        {move || match reports.get() {
            None => view! { <p>"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! { <p class="notice">{format!("No event reports for {}.", month.get().long_name())}</p> }.into_any(),
            Some(Ok(list)) => {
                let any_final = list.iter().any(|r| r.status == ReportStatus::Final);
                let zip = format!("/api/v2/event-reports/zip?{}", query_suffix(month.get(), &zone.get()));
                view! {
                    <table class="grid" id="event-reports">
                        <thead><tr><th>"Dispatch"</th><th>"Group"</th><th>"Programme"</th><th>"Zone"</th><th>"Start (UTC)"</th><th>"kW"</th>
                            <th>"Delivered kWh"</th><th>"Delivery"</th><th>"Data"</th><th>"Earnings"</th><th>"Status"</th><th>"Performance"</th><th>"Earnings"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| {
                                let id = r.id.to_string();
                                let link = |report: &str, format: &str| format!("/api/v2/event-reports/{id}?report={report}&format={format}");
                                view! {
                                    <tr data-report=id.clone()>
                                        <td><a href=format!("/reports/event-reports/{id}")><code>{id.clone()}</code></a></td>
                                        <td>{r.dispatch_group.clone()}</td>
                                        <td>{r.programme.clone()}</td>
                                        <td>{r.zone.clone()}</td>
                                        <td>{when(r.start)}</td>
                                        <td class="num">{r.power_change_kw}</td>
                                        <td class="num">{format!("{:.3}", r.delivered_kwh)}</td>
                                        <td class="num">{format!("{:.1} %", r.delivery_percent)}</td>
                                        <td class="num">{format!("{:.1} %", r.completeness_percent)}</td>
                                        <td class="num">{format!("£{:.2}", r.earnings.total_gbp)}</td>
                                        <td>{status_label(r.status, r.version)}</td>
                                        <td class="downloads">
                                            <a class="download csv" href=link("performance", "csv") download title="Performance report, CSV">"CSV"</a>" "
                                            <a class="download pdf" href=link("performance", "pdf") download title="Performance report, PDF">"PDF"</a>
                                        </td>
                                        <td class="downloads">
                                            <a class="download csv" href=link("earnings", "csv") download title="Earnings statement, CSV">"CSV"</a>" "
                                            <a class="download pdf" href=link("earnings", "pdf") download title="Earnings statement, PDF">"PDF"</a>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p>{if any_final {
                        view! { <a class="button" id="reports-zip" href=zip download>"Download zip"</a>" of the finalised reports in the list" }.into_any()
                    } else {
                        view! { <span class="muted" id="reports-zip">"Download zip: none of these reports is final yet."</span> }.into_any()
                    }}</p>
                }.into_any()
            }
        }}
    }
}

/// One event's report: totals, earnings and a chart per unit.
#[component]
pub fn EventReportPage() -> impl IntoView {
    let params = use_params_map();
    let report = LocalResource::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        async move { settlement::event_report(&id).await }
    });
    view! {
        <p><a href="/reports/event-reports">"◀ Event Reports"</a></p>
        {move || match report.get() {
            None => view! { <p>"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            Some(Ok(r)) => {
                let e = r.earnings.clone();
                let id = r.id.to_string();
                view! {
                    <h1>{format!("Event {} · {}", r.dispatch_group, when(r.start))}</h1>
                    <p class="muted">{format!("{} · {} · {} · {} · {} to {} UTC · {} kW · {}",
                        r.company, r.zone, r.programme, id, when(r.start), r.end.format("%H:%M"), r.power_change_kw, status_label(r.status, r.version))}</p>
                    <p>
                        <a class="download" href=format!("/api/v2/event-reports/{id}?report=performance&format=csv") download>"Performance CSV"</a>" · "
                        <a class="download" href=format!("/api/v2/event-reports/{id}?report=performance&format=pdf") download>"Performance PDF"</a>" · "
                        <a class="download" href=format!("/api/v2/event-reports/{id}?report=earnings&format=csv") download>"Earnings CSV"</a>" · "
                        <a class="download" href=format!("/api/v2/event-reports/{id}?report=earnings&format=pdf") download>"Earnings PDF"</a>
                    </p>
                    <table class="grid" id="event-totals">
                        <tbody>
                            <tr><th>"Instructed"</th><td class="num">{format!("{:.3} kWh", r.instructed_kwh)}</td>
                                <th>"Delivered"</th><td class="num">{format!("{:.3} kWh ({:.1} %)", r.delivered_kwh, r.delivery_percent)}</td>
                                <th>"Data completeness"</th><td class="num">{format!("{:.1} % ({} missing)", r.completeness_percent, r.missing_intervals)}</td></tr>
                            <tr><th>"Utilisation"</th><td class="num" colspan="3">{format!("{:.6} MWh × £{:.2}/MWh × {:.4} = £{:.2}", e.delivered_mwh, e.utilisation_price_applied, e.scale_factor, e.utilisation_gbp)}</td>
                                <th>"Availability"</th><td class="num">{format!("{:.3} MW × {:.2} h × £{:.2} × {:.4} = £{:.2}", e.accepted_mw, e.availability_hours, e.availability_price_applied, e.performance_factor, e.availability_gbp)}</td></tr>
                            <tr><th>"Total"</th><td class="num" colspan="5"><strong>{format!("£{:.2}", e.total_gbp)}</strong></td></tr>
                        </tbody>
                    </table>
                    {r.units.iter().map(|u| view! { <UnitChart report=r.clone() unit=u.clone()/> }).collect_view()}
                }.into_any()
            }
        }}
    }
}

/// Baseline, readings and the instructed level over the event, the delivered area shaded.
#[component]
pub(crate) fn UnitChart(report: EventReport, unit: shared::UnitPerformance) -> impl IntoView {
    const W: f64 = 980.0;
    const H: f64 = 280.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 44.0;
    let (plot_w, plot_h) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let sign = match report.direction {
        Direction::TurnDown => 1.0,
        Direction::TurnUp => -1.0,
    };
    let hh = unit.metering_granularity == shared::MeteringGranularity::HalfHourly;
    let cap = if hh {
        unit.instructed_kw * 0.5
    } else {
        unit.instructed_kw
    };
    let n = unit.intervals.len().max(1) as f64;
    let x = move |i: f64| LEFT + i / n * plot_w;
    let mut values: Vec<f64> = Vec::new();
    for i in &unit.intervals {
        values.push(i.baseline);
        values.push(i.baseline + sign * cap);
        if let Some(r) = i.reading {
            values.push(r);
        }
    }
    let lo = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let hi = values
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(0.0);
    let (lo, hi) = if (hi - lo).abs() < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05)
    };
    let y = move |v: f64| TOP + (hi - v) / (hi - lo) * plot_h;
    let steps = |f: &dyn Fn(&shared::IntervalPerformance) -> Option<f64>| -> String {
        let mut points = Vec::new();
        for (k, i) in unit.intervals.iter().enumerate() {
            if let Some(v) = f(i) {
                points.push(format!("{:.1},{:.1}", x(k as f64), y(v)));
                points.push(format!("{:.1},{:.1}", x(k as f64 + 1.0), y(v)));
            }
        }
        points.join(" ")
    };
    let baseline = steps(&|i| Some(i.baseline));
    let target = steps(&|i| Some(i.baseline + sign * cap));
    let delivered: Vec<(f64, f64, f64)> = unit
        .intervals
        .iter()
        .enumerate()
        .filter(|(_, i)| i.delivered > 0.0)
        .map(|(k, i)| {
            let (a, b) = (y(i.baseline), y(i.baseline + sign * i.delivered));
            (x(k as f64), a.min(b), (a - b).abs())
        })
        .collect();
    let readings: Vec<String> = {
        // Missing readings break the line.
        let mut runs = Vec::new();
        let mut run = Vec::new();
        for (k, i) in unit.intervals.iter().enumerate() {
            match i.reading {
                Some(v) => {
                    run.push(format!("{:.1},{:.1}", x(k as f64), y(v)));
                    run.push(format!("{:.1},{:.1}", x(k as f64 + 1.0), y(v)));
                }
                None if !run.is_empty() => runs.push(std::mem::take(&mut run).join(" ")),
                None => {}
            }
        }
        if !run.is_empty() {
            runs.push(run.join(" "));
        }
        runs
    };
    let ticks: Vec<f64> = (0..=4)
        .map(|i| lo + (hi - lo) * f64::from(i) / 4.0)
        .collect();
    let unit_label = if hh { "kWh per half-hour" } else { "kW" };
    let width = plot_w / n;
    let first = unit
        .intervals
        .first()
        .map(|i| i.start.format("%H:%M").to_string())
        .unwrap_or_default();
    let last = report.end.format("%H:%M").to_string();
    view! {
        <section class="card">
            <h2>{format!("{} ({})", unit.meterable_unit, unit.meterable_unit_id)}</h2>
            <p class="muted">{format!("Share of the instruction {} kW · delivered {:.3} of {:.3} kWh ({:.1} %) · data {:.1} % ({} missing)",
                unit.instructed_kw, unit.delivered_kwh, unit.instructed_kwh, unit.delivery_percent, unit.completeness_percent, unit.missing_intervals)}</p>
            <svg class="chart event-chart" viewBox=format!("0 0 {W} {H}") role="img"
                aria-label="Baseline, readings and the instructed level over the event, with the delivered response shaded">
                {delivered.into_iter().map(|(x0, y0, h)| view! { <rect class="delivered" x=x0 y=y0 width=width.max(0.5) height=h.max(0.5)/> }).collect_view()}
                {ticks.into_iter().map(|v| view! {
                    <line class="grid-line" x1=LEFT x2=LEFT + plot_w y1=y(v) y2=y(v)/>
                    <text class="tick" x=LEFT - 6.0 y=y(v) + 4.0 text-anchor="end">{format!("{v:.0}")}</text>
                }).collect_view()}
                <polyline class="baseline" points=baseline/>
                <polyline class="instruction" points=target/>
                {readings.into_iter().map(|points| view! { <polyline class="reading" points=points/> }).collect_view()}
                <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=TOP + plot_h/>
                <line class="axis" x1=LEFT x2=LEFT + plot_w y1=TOP + plot_h y2=TOP + plot_h/>
                <text class="tick" x=LEFT y=TOP + plot_h + 16.0 text-anchor="start">{first}</text>
                <text class="tick" x=LEFT + plot_w y=TOP + plot_h + 16.0 text-anchor="end">{last}</text>
                <text class="axis-title" x=14.0 y=TOP + plot_h / 2.0 text-anchor="middle"
                    transform=format!("rotate(-90 14 {})", TOP + plot_h / 2.0)>{unit_label}</text>
                <text class="axis-title" x=LEFT + plot_w / 2.0 y=H - 6.0 text-anchor="middle">"UTC · green: baseline · blue: readings · dashed: instructed level · shaded: delivered"</text>
            </svg>
        </section>
    }
}

/// Reports › Invoices/Statements.
#[component]
pub fn StatementsPage() -> impl IntoView {
    let (month, zone) = filters();
    let me = LocalResource::new(accounts::me);
    let operator = move || {
        me.get()
            .and_then(Result::ok)
            .is_some_and(|me| me.role != shared::Role::Participant)
    };
    let message = RwSignal::new(None::<Result<String, String>>);
    let list = LocalResource::new(move || {
        let (m, z) = (month.get(), zone.get());
        async move { settlement::statements(&m.to_string(), z.as_deref()).await }
    });
    view! {
        <h1>"Invoices/Statements"</h1>
        <Filters base="/reports/statements" month=month zone=zone/>
        <p class="muted">"Statements are provisional during the following month, for review, and final from 00:00 on the 15th; build your invoice from the final statement."</p>
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="notice" id="statement-message">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" id="statement-message">{text}</p> }.into_any(),
        })}
        {move || match list.get() {
            None => view! { <p>"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            Some(Ok(items)) if items.is_empty() => view! { <p class="notice">{format!("No statements for {}.", month.get().long_name())}</p> }.into_any(),
            Some(Ok(items)) => {
                let any_final = items.iter().any(|s| s.status == ReportStatus::Final);
                let zip = format!("/api/v2/statements/zip?{}", query_suffix(month.get(), &zone.get()));
                view! {
                    <table class="grid" id="statements">
                        <thead><tr><th>"Company"</th><th>"Operator"</th><th>"Zone"</th><th>"Month"</th><th>"Status"</th>
                            <th>"Availability"</th><th>"Utilisation"</th><th>"Total"</th><th>"Download"</th><th></th></tr></thead>
                        <tbody>
                            {items.into_iter().map(|s| view! { <StatementRow statement=s operator=operator() message=message reload=move || list.refetch()/> }).collect_view()}
                        </tbody>
                    </table>
                    <p>{if any_final {
                        view! { <a class="button" id="statements-zip" href=zip download>"Download zip"</a>" of the finalised statements in the list" }.into_any()
                    } else {
                        view! { <span class="muted" id="statements-zip">"Download zip: none of these statements is final yet."</span> }.into_any()
                    }}</p>
                }.into_any()
            }
        }}
    }
}

#[component]
fn StatementRow(
    statement: Statement,
    operator: bool,
    message: RwSignal<Option<Result<String, String>>>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let open = RwSignal::new(None::<Result<StatementDetail, String>>);
    let id = statement.id.clone();
    let toggle = {
        let id = id.clone();
        move |_| {
            if open.get_untracked().is_some() {
                open.set(None);
                return;
            }
            let id = id.clone();
            spawn_local(async move {
                let found = settlement::statement(&id).await;
                open.set(Some(found));
            });
        }
    };
    let reissue = {
        let id = id.clone();
        move |_| {
            let Some(reason) = window()
                .prompt_with_message(
                    "Why is this statement re-issued? The FSP will see the reason.",
                )
                .ok()
                .flatten()
            else {
                return;
            };
            let id = id.clone();
            spawn_local(async move {
                let result = settlement::reissue_statement(&id, &reason).await;
                message.set(Some(result.map(|reissued| {
                    format!("Statement re-issued as version {}.", reissued.version)
                })));
                reload();
            });
        }
    };
    let download = move |format: &str, version: Option<i32>| {
        let version = version.map(|v| format!("&version={v}")).unwrap_or_default();
        format!("/api/v2/statements/{id}?format={format}{version}")
    };
    let is_final = statement.status == ReportStatus::Final;
    view! {
        <tr data-statement=statement.id.clone()>
            <td>{statement.company.clone()}</td>
            <td>{statement.operator.clone()}</td>
            <td>{statement.zone.clone()}</td>
            <td>{statement.month.clone()}</td>
            <td>{status_label(statement.status, statement.version)}</td>
            <td class="num">{format!("£{:.2}", statement.availability_gbp)}</td>
            <td class="num">{format!("£{:.2}", statement.utilisation_gbp)}</td>
            <td class="num"><strong>{format!("£{:.2}", statement.total_gbp)}</strong></td>
            <td class="downloads">
                <a class="download csv" href=download("csv", None) download>"CSV"</a>" "
                <a class="download pdf" href=download("pdf", None) download>"PDF"</a>
            </td>
            <td>
                <button class="link lines" on:click=toggle>"Lines and versions"</button>
                {(operator && is_final).then(|| view! { " " <button class="reissue" on:click=reissue>"Re-issue…"</button> })}
            </td>
        </tr>
        {move || open.get().map(|detail| match detail {
            Err(e) => view! { <tr><td colspan="10" class="error">{e}</td></tr> }.into_any(),
            Ok(d) => view! {
                <tr class="statement-detail"><td colspan="10">
                    <p class="billed-to">{format!("{} · Companies House {} · VAT {} · {}",
                        d.statement.company, d.statement.company_number,
                        d.statement.vat_number.clone().unwrap_or_else(|| "not registered".to_owned()),
                        d.statement.billing_address.lines().map(str::trim).collect::<Vec<_>>().join(", "))}</p>
                    <table class="grid">
                        <thead><tr><th>"Dispatch group"</th><th>"Programme"</th><th>"Events"</th><th>"Windows"</th><th>"Delivered MWh"</th><th>"Availability"</th><th>"Utilisation"</th><th>"Total"</th></tr></thead>
                        <tbody>{d.statement.lines.iter().map(|l| view! {
                            <tr><td>{l.dispatch_group.clone()}</td><td>{l.programme.clone()}</td><td class="num">{l.events}</td><td class="num">{l.windows}</td>
                                <td class="num">{format!("{:.6}", l.delivered_mwh)}</td><td class="num">{format!("£{:.2}", l.availability_gbp)}</td>
                                <td class="num">{format!("£{:.2}", l.utilisation_gbp)}</td><td class="num">{format!("£{:.2}", l.total_gbp)}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                    {(!d.versions.is_empty()).then(|| view! {
                        <h3>"Versions"</h3>
                        <ol class="versions">
                            {d.versions.iter().map(|v| view! {
                                <li>{format!("Version {} · issued {} · £{:.2}{} ", v.version, when(v.issued_at), v.total_gbp,
                                    v.reason.as_ref().map(|r| format!(" · re-issued: {r}")).unwrap_or_default())}
                                    <a class="download" href=download("csv", Some(v.version)) download>"CSV"</a>" "
                                    <a class="download" href=download("pdf", Some(v.version)) download>"PDF"</a>
                                </li>
                            }).collect_view()}
                        </ol>
                    })}
                </td></tr>
            }.into_any(),
        })}
    }
}

/// API Testing › Sample Reports: what the reports look like, computed by the settlement
/// code from the company's sandbox data with an invented event.
#[component]
pub fn SampleReportsPage() -> impl IntoView {
    let sample = LocalResource::new(settlement::sample_reports);
    view! {
        <h1>"Sample Reports"</h1>
        <p class="muted">"An example event performance report, earnings statement and monthly statement, computed by the same settlement code as the real ones from your sandbox dispatch group, meterable unit, baseline and prices, with an invented one-hour event yesterday at 16:00 (a five-minute ramp, ten minutes above the instruction, three minutes of readings missing). Nothing is stored."</p>
        <p>
            <a class="download" href="/api/v2/sample-reports/performance?format=csv" download>"Performance CSV"</a>" · "
            <a class="download" href="/api/v2/sample-reports/performance?format=pdf" download>"Performance PDF"</a>" · "
            <a class="download" href="/api/v2/sample-reports/earnings?format=csv" download>"Earnings CSV"</a>" · "
            <a class="download" href="/api/v2/sample-reports/earnings?format=pdf" download>"Earnings PDF"</a>" · "
            <a class="download" href="/api/v2/sample-reports/statement?format=csv" download>"Statement CSV"</a>" · "
            <a class="download" href="/api/v2/sample-reports/statement?format=pdf" download>"Statement PDF"</a>
        </p>
        {move || match sample.get() {
            None => view! { <p>"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            Some(Ok(s)) => {
                let r = s.event_report.clone();
                let e = r.earnings.clone();
                let st = s.statement.clone();
                view! {
                    <table class="grid" id="sample-totals">
                        <tbody>
                            <tr><th>"Event"</th><td colspan="5">{format!("{} · {} · {} · {} to {} UTC · {} kW", r.dispatch_group, r.programme, r.zone, when(r.start), r.end.format("%H:%M"), r.power_change_kw)}</td></tr>
                            <tr><th>"Delivered"</th><td class="num">{format!("{:.3} of {:.3} kWh ({:.1} %)", r.delivered_kwh, r.instructed_kwh, r.delivery_percent)}</td>
                                <th>"Data completeness"</th><td class="num">{format!("{:.1} % ({} missing)", r.completeness_percent, r.missing_intervals)}</td>
                                <th>"Earnings"</th><td class="num">{format!("utilisation £{:.2} + availability £{:.2} = £{:.2}", e.utilisation_gbp, e.availability_gbp, e.total_gbp)}</td></tr>
                            <tr><th>"Statement"</th><td colspan="5">{format!("{} · {} · {} · {}: availability £{:.2}, utilisation £{:.2}, total £{:.2}",
                                st.company, st.operator, st.zone, st.month, st.availability_gbp, st.utilisation_gbp, st.total_gbp)}</td></tr>
                        </tbody>
                    </table>
                    {r.units.iter().map(|u| view! { <UnitChart report=r.clone() unit=u.clone()/> }).collect_view()}
                }.into_any()
            }
        }}
    }
}
