//! Availability › Calendar (guide §3.4) and Availability › Acceptance Decisions (§3.6).
//! Operators enter and decide declarations for FSPs; FSPs read them.

use crate::api::{assets, availability};
use crate::pages::meterable_units::today;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{
    AvailabilityDay, AvailabilityWeek, AvailabilityWindow, DeclarationStatus, WeekCommencing,
    WindowInput, long_date,
};
use std::future::Future;

fn week_param(value: Option<String>) -> WeekCommencing {
    value
        .and_then(|w| WeekCommencing::parse(&w).ok())
        .unwrap_or_else(|| WeekCommencing::containing(today()))
}

fn status_label(status: DeclarationStatus) -> &'static str {
    match status {
        DeclarationStatus::Declared => "Declared",
        DeclarationStatus::Accepted => "Accepted",
        DeclarationStatus::Rejected => "Rejected",
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let zones = LocalResource::new(assets::zones);
    let week = Memo::new(move |_| week_param(query.with(|q| q.get("week"))));
    let zone = Memo::new(move |_| {
        query.with(|q| q.get("zone")).or_else(|| {
            zones
                .get()
                .and_then(|r| r.ok())
                .and_then(|z| z.first().map(|z| z.id.to_string()))
        })
    });
    let programme = Memo::new(move |_| {
        query.with(|q| q.get("programme")).or_else(|| {
            let zone_id = zone.get()?;
            zones.get().and_then(|r| r.ok()).and_then(|z| {
                z.into_iter()
                    .find(|z| z.id.as_str() == zone_id)
                    .and_then(|z| z.programmes.first().map(|p| p.id.to_string()))
            })
        })
    });
    let groups = LocalResource::new(move || {
        let zone = zone.get();
        async move {
            match zone {
                Some(zone) => assets::dispatch_groups(&zone, None).await,
                None => Ok(Vec::new()),
            }
        }
    });
    let group = Memo::new(move |_| {
        query.with(|q| q.get("group")).or_else(|| {
            groups
                .get()
                .and_then(|r| r.ok())
                .and_then(|g| g.first().map(|g| g.id.to_string()))
        })
    });
    let calendar = LocalResource::new(move || {
        let (group, programme, week) = (group.get(), programme.get(), week.get());
        async move {
            match (group, programme) {
                (Some(g), Some(p)) => availability::availability_week(&g, &p, week)
                    .await
                    .map(Some),
                _ => Ok(None),
            }
        }
    });
    let message = RwSignal::new(None::<Result<String, String>>);

    let go = move |zone: Option<String>,
                   programme: Option<String>,
                   group: Option<String>,
                   week: WeekCommencing| {
        let mut params = Vec::new();
        for (name, value) in [("zone", zone), ("programme", programme), ("group", group)] {
            if let Some(v) = value {
                params.push(format!("{name}={v}"));
            }
        }
        params.push(format!("week={week}"));
        message.set(None);
        navigate(
            &format!("/availability/calendar?{}", params.join("&")),
            Default::default(),
        );
    };
    let (go_zone, go_programme, go_group, go_prev, go_next) =
        (go.clone(), go.clone(), go.clone(), go.clone(), go);

    view! {
        <div class="toolbar">
            <label>"Zone "
                <select id="zone-select" on:change=move |ev| go_zone(Some(event_target_value(&ev)), None, None, week.get_untracked())>
                    {move || zones.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|z| {
                        let selected = zone.get().as_deref() == Some(z.id.as_str());
                        view! { <option value=z.id.to_string() selected=selected>{z.name.clone()}</option> }
                    }).collect_view())}
                </select>
            </label>
            <label>"Programme "
                <select id="programme-select" on:change=move |ev| go_programme(zone.get_untracked(), Some(event_target_value(&ev)), group.get_untracked(), week.get_untracked())>
                    {move || {
                        let zone_id = zone.get();
                        zones.get().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|z| Some(z.id.as_str()) == zone_id.as_deref()))
                            .map(|z| z.programmes.into_iter().map(|p| {
                                let selected = programme.get().as_deref() == Some(p.id.as_str());
                                view! { <option value=p.id.to_string() selected=selected>{p.name.clone()}</option> }
                            }).collect_view())
                    }}
                </select>
            </label>
            <label>"DG "
                <select id="group-select" on:change=move |ev| go_group(zone.get_untracked(), programme.get_untracked(), Some(event_target_value(&ev)), week.get_untracked())>
                    {move || groups.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|g| {
                        let selected = group.get().as_deref() == Some(g.id.as_str());
                        view! { <option value=g.id.to_string() selected=selected>{g.name.clone()}</option> }
                    }).collect_view())}
                </select>
            </label>
            <div class="week">
                <button class="arrow" title="Previous week" aria-label="Previous week"
                    on:click=move |_| go_prev(zone.get_untracked(), programme.get_untracked(), group.get_untracked(), week.get_untracked().previous())>"◀"</button>
                <span>"Week commencing: "<strong id="week-label">{move || long_date(week.get().date())}</strong></span>
                <button class="arrow" title="Next week" aria-label="Next week" id="next-week"
                    on:click=move |_| go_next(zone.get_untracked(), programme.get_untracked(), group.get_untracked(), week.get_untracked().next())>"▶"</button>
            </div>
        </div>
        <h1>"Availability"</h1>
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="notice" id="calendar-message">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" id="calendar-message">{text}</p> }.into_any(),
        })}
        {move || match calendar.get() {
            Some(Ok(Some(cal))) => view! { <Calendar cal=cal message=message reload=move || calendar.refetch()/> }.into_any(),
            Some(Ok(None)) => view! { <p class="notice">"Choose a zone, programme and dispatch group."</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
    }
}

/// Runs a change, shows its outcome and reloads the calendar.
fn act(
    change: impl Future<Output = Result<(), String>> + 'static,
    done: &'static str,
    message: RwSignal<Option<Result<String, String>>>,
    reload: impl Fn() + 'static,
) {
    spawn_local(async move {
        let result = change.await;
        message.set(Some(result.map(|()| done.to_owned())));
        reload();
    });
}

#[component]
fn Calendar(
    cal: AvailabilityWeek,
    message: RwSignal<Option<Result<String, String>>>,
    reload: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    // The week's deadline, as the guide shows it to everyone (§3.4).
    let deadline = if cal.locked {
        format!(
            "Declarations for this week locked at {}.",
            cal.editable_until_label
        )
    } else {
        format!("This week can be edited until {}", cal.editable_until_label)
    };
    let banner = if cal.managed_by_operator {
        "Availability declarations for this programme are managed by the Operator".to_owned()
    } else if cal.locked {
        format!("{deadline} Accept or reject each window.")
    } else {
        deadline.clone()
    };
    let group = cal.dispatch_group_id.to_string();
    let programme = cal.programme_id.to_string();
    let week = cal.week_commencing.clone();
    let (accept_all, reject_all) = {
        let make = |accept: bool| {
            let (g, p, w, reload) = (
                group.clone(),
                programme.clone(),
                week.clone(),
                reload.clone(),
            );
            move |_| {
                let (g, p, w) = (g.clone(), p.clone(), w.clone());
                act(
                    async move { availability::decide_week(&g, &p, &w, accept).await },
                    if accept {
                        "Accepted every undecided window."
                    } else {
                        "Rejected every undecided window."
                    },
                    message,
                    reload.clone(),
                );
            }
        };
        (make(true), make(false))
    };
    view! {
        <p class="notice" id="calendar-banner">{banner}</p>
        {cal.managed_by_operator.then(|| view! { <p class="muted" id="calendar-deadline">{deadline}</p> })}
        <p class="muted">{format!("{} · {} · capacity {} kW", cal.dispatch_group, cal.programme, cal.capacity_kw)}</p>
        {cal.can_decide.then(|| view! {
            <p>
                <button class="primary" id="accept-week" on:click=accept_all>"Accept all"</button>" "
                <button id="reject-week" on:click=reject_all>"Reject all"</button>
            </p>
        })}
        <div class="calendar">
            {cal.days.clone().into_iter().map(|day| view! {
                <DayColumn day=day can_edit=cal.can_edit can_decide=cal.can_decide
                    group=group.clone() programme=programme.clone() message=message reload=reload.clone()/>
            }).collect_view()}
        </div>
        <BaselineChart cal=cal.clone()/>
    }
}

/// The group's weekly baseline (guide §3.5) with the accepted windows shaded.
#[component]
fn BaselineChart(cal: AvailabilityWeek) -> impl IntoView {
    const W: f64 = 980.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 44.0;
    let (plot_w, plot_h) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let Some(first) = cal.baseline.first().map(|p| p.start) else {
        return view! { <p class="muted" id="baseline-chart">"No baseline agreed for this dispatch group."</p> }.into_any();
    };
    let span = 7.0 * 86_400.0;
    let x = move |t: chrono::DateTime<chrono::Utc>| {
        LEFT + ((t - first).num_seconds() as f64 / span).clamp(0.0, 1.0) * plot_w
    };
    let lo = cal.baseline.iter().map(|p| p.kw).fold(0.0_f64, f64::min);
    let hi = cal.baseline.iter().map(|p| p.kw).fold(0.0_f64, f64::max);
    let (lo, hi) = if hi - lo < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi + (hi - lo) * 0.1)
    };
    let y = move |kw: f64| TOP + (hi - kw) / (hi - lo) * plot_h;
    let line: String = cal
        .baseline
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.start), y(p.kw)))
        .collect::<Vec<_>>()
        .join(" ");
    let accepted: Vec<(f64, f64)> = cal
        .days
        .iter()
        .flat_map(|d| d.windows.iter())
        .filter_map(|w| Some((x(w.acceptance_start?), x(w.acceptance_end?))))
        .collect();
    let ticks: Vec<f64> = (0..=4)
        .map(|i| lo + (hi - lo) * f64::from(i) / 4.0)
        .collect();
    let day_width = plot_w / 7.0;
    view! {
        <section class="card">
            <h2>"Baseline"</h2>
            <svg id="baseline-chart" class="chart" viewBox=format!("0 0 {W} {H}") role="img"
                aria-label="The dispatch group's baseline over the week, kW, with accepted windows shaded">
                {accepted.into_iter().map(|(a, b)| view! {
                    <rect class="accepted" x=a y=TOP width=(b - a).max(1.0) height=plot_h/>
                }).collect_view()}
                {ticks.into_iter().map(|kw| view! {
                    <line class="grid-line" x1=LEFT x2=LEFT + plot_w y1=y(kw) y2=y(kw)/>
                    <text class="tick" x=LEFT - 6.0 y=y(kw) + 4.0 text-anchor="end">{format!("{kw:.0}")}</text>
                }).collect_view()}
                <polyline class="baseline" points=line/>
                <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=TOP + plot_h/>
                <line class="axis" x1=LEFT x2=LEFT + plot_w y1=TOP + plot_h y2=TOP + plot_h/>
                {cal.days.iter().enumerate().map(|(i, d)| view! {
                    <text class="tick" x=LEFT + (i as f64 + 0.5) * day_width y=TOP + plot_h + 16.0 text-anchor="middle">{d.label.clone()}</text>
                }).collect_view()}
                <text class="axis-title" x=14.0 y=TOP + plot_h / 2.0 text-anchor="middle"
                    transform=format!("rotate(-90 14 {})", TOP + plot_h / 2.0)>"kW"</text>
                <text class="axis-title" x=LEFT + plot_w / 2.0 y=H - 6.0 text-anchor="middle">"Day (Europe/London); shaded: accepted availability"</text>
            </svg>
        </section>
    }
    .into_any()
}

#[component]
fn DayColumn(
    day: AvailabilityDay,
    can_edit: bool,
    can_decide: bool,
    group: String,
    programme: String,
    message: RwSignal<Option<Result<String, String>>>,
    reload: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let kw = RwSignal::new(String::new());
    let date = day.date.clone();
    let add_reload = reload.clone();
    let add = move |_| {
        let kw_value = kw.get_untracked().trim().parse::<f64>();
        let Ok(kw_value) = kw_value else {
            message.set(Some(Err("kW must be a number".to_owned())));
            return;
        };
        let window = WindowInput {
            date: date.clone(),
            start: start.get_untracked(),
            end: end.get_untracked(),
            kw: kw_value,
        };
        let (group, programme) = (group.clone(), programme.clone());
        act(
            async move { availability::declare(&group, &programme, &window).await },
            "Window declared.",
            message,
            add_reload.clone(),
        );
    };
    view! {
        <section class="day" data-date=day.date.clone()>
            <h3>{day.label.clone()}</h3>
            {day.windows.into_iter().map(|w| view! {
                <WindowCard window=w can_edit=can_edit can_decide=can_decide message=message reload=reload.clone()/>
            }).collect_view()}
            {can_edit.then(|| view! {
                <div class="add-window">
                    <input type="text" aria-label="Start" class="start" placeholder="HH:MM" prop:value=move || start.get()
                        on:input=move |ev| start.set(event_target_value(&ev))/>
                    <input type="text" aria-label="End" class="end" placeholder="HH:MM" prop:value=move || end.get()
                        on:input=move |ev| end.set(event_target_value(&ev))/>
                    <input type="number" aria-label="kW" class="kw" min="0" step="any" placeholder="kW" prop:value=move || kw.get()
                        on:input=move |ev| kw.set(event_target_value(&ev))/>
                    <button class="add" on:click=add.clone()>"Add"</button>
                </div>
            })}
        </section>
    }
}

#[component]
fn WindowCard(
    window: AvailabilityWindow,
    can_edit: bool,
    can_decide: bool,
    message: RwSignal<Option<Result<String, String>>>,
    reload: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let id = window.id.to_string();
    let status = window.status;
    let decide = |accept: bool| {
        let (id, reload) = (id.clone(), reload.clone());
        move |_| {
            let ids = vec![id.clone()];
            act(
                async move { availability::decide(&ids, accept).await },
                if accept {
                    "Window accepted."
                } else {
                    "Window rejected."
                },
                message,
                reload.clone(),
            );
        }
    };
    let remove = {
        let (id, reload) = (id.clone(), reload.clone());
        move |_| {
            let id = id.clone();
            act(
                async move { availability::remove(&id).await },
                "Window removed.",
                message,
                reload.clone(),
            );
        }
    };
    let class = format!("window {}", status.as_str());
    view! {
        <div class=class data-window=id.clone()>
            <strong>{format!("{}–{}", window.start, window.end)}</strong>
            <span>{format!(" {} kW", window.declared_kw)}</span>
            <span class="status">{status_label(status)}</span>
            {(can_edit).then(|| view! { <button class="remove" title="Remove" on:click=remove>"×"</button> })}
            {(can_decide && status == DeclarationStatus::Declared).then(|| view! {
                <span class="decide">
                    <button class="accept" on:click=decide(true)>"Accept"</button>
                    <button class="reject" on:click=decide(false)>"Reject"</button>
                </span>
            })}
        </div>
    }
}

fn instant(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
        .unwrap_or_default()
}

#[component]
pub fn AcceptanceDecisionsPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let week = Memo::new(move |_| week_param(query.with(|q| q.get("week"))));
    let rows = LocalResource::new(move || {
        let week = week.get();
        async move { availability::acceptance_decisions(week).await }
    });
    let go = move |week: WeekCommencing| {
        navigate(
            &format!("/availability/acceptance-decisions?week={week}"),
            Default::default(),
        );
    };
    let (go_prev, go_next) = (go.clone(), go);
    view! {
        <div class="toolbar">
            <div class="week">
                <button class="arrow" title="Previous week" aria-label="Previous week"
                    on:click=move |_| go_prev(week.get_untracked().previous())>"◀"</button>
                <span>"Week commencing: "<strong>{move || long_date(week.get().date())}</strong></span>
                <button class="arrow" title="Next week" aria-label="Next week"
                    on:click=move |_| go_next(week.get_untracked().next())>"▶"</button>
            </div>
            <a class="button primary" id="download-acceptance" rel="external"
                href=move || format!("/api/v2/accepted-availability?week_commencing={}&format=csv", week.get())
                download=move || format!("acceptance-{}.csv", week.get())>"Download Acceptance CSV"</a>
        </div>
        <h1>"Acceptance Decisions"</h1>
        {move || match rows.get() {
            Some(Ok(rows)) if rows.is_empty() => view! { <p class="notice">"No declarations for this week."</p> }.into_any(),
            Some(Ok(rows)) => view! {
                <table class="grid" id="acceptance-table">
                    <thead><tr>
                        <th>"Zone"</th><th>"Programme"</th><th>"Dispatch Group"</th><th>"Date"</th>
                        <th>"Window"</th><th>"Declared (kW)"</th><th>"Status"</th>
                        <th>"Acceptance start"</th><th>"Acceptance end"</th><th>"Accepted (kW)"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.zone}</td><td>{r.programme}</td><td>{r.dispatch_group}</td><td>{r.date}</td>
                                <td>{format!("{}–{}", r.window_start, r.window_end)}</td>
                                <td class="num">{r.declared_kw}</td>
                                <td>{status_label(r.status)}</td>
                                <td>{instant(r.acceptance_start)}</td>
                                <td>{instant(r.acceptance_end)}</td>
                                <td class="num">{r.accepted_kw.map(|k| k.to_string()).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
    }
}
