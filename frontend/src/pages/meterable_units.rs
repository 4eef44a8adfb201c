//! Meterable Units (guide §3.3): the caller's dispatch groups in a zone for a week, with
//! runtimes, baseline, marketplace units, meterable units and the price table.

use crate::api::assets;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{DispatchGroup, MeteringGranularity, WeekCommencing, long_date};

/// Today in the browser's calendar; the server is the authority on London dates, but
/// this only picks which week to show first.
pub(crate) fn today() -> NaiveDate {
    let d = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date())
        .unwrap_or_default()
}

#[component]
pub fn MeterableUnitsPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let zones = LocalResource::new(assets::zones);

    let week = Memo::new(move |_| {
        query
            .with(|q| q.get("week"))
            .and_then(|w| WeekCommencing::parse(&w).ok())
            .unwrap_or_else(|| WeekCommencing::containing(today()))
    });
    let zone = Memo::new(move |_| {
        query.with(|q| q.get("zone")).or_else(|| {
            zones
                .get()
                .and_then(|r| r.ok())
                .and_then(|z| z.first().map(|z| z.id.as_str().to_owned()))
        })
    });
    let groups = LocalResource::new(move || {
        let zone = zone.get();
        let week = week.get();
        async move {
            match zone {
                Some(zone) => assets::dispatch_groups(&zone, Some(week)).await.map(Some),
                None => Ok(None),
            }
        }
    });

    let go = move |zone: Option<String>, week: WeekCommencing| {
        let zone = zone.map(|z| format!("zone={z}&")).unwrap_or_default();
        navigate(
            &format!("/meterable-units?{zone}week={week}"),
            Default::default(),
        );
    };
    let go_zone = go.clone();
    let go_prev = go.clone();
    let go_next = go;

    view! {
        <div class="toolbar">
            <label>
                "Zone "
                <select
                    aria-label="Zone"
                    id="zone-select"
                    on:change=move |ev| go_zone(Some(event_target_value(&ev)), week.get_untracked())
                >
                    {move || match zones.get() {
                        Some(Ok(data)) => data.into_iter().map(|z| {
                            let selected = zone.get().as_deref() == Some(z.id.as_str());
                            let label = if z.sandbox { format!("{} (sandbox)", z.name) } else { z.name.clone() };
                            view! { <option value=z.id.as_str().to_owned() selected=selected>{label}</option> }
                        }).collect_view().into_any(),
                        _ => view! { <option>"Loading zones…"</option> }.into_any(),
                    }}
                </select>
            </label>
            <div class="week">
                <button class="arrow" title="Previous week" aria-label="Previous week"
                    on:click=move |_| go_prev(zone.get_untracked(), week.get_untracked().previous())>"◀"</button>
                <span>"Week commencing: "<strong>{move || long_date(week.get().date())}</strong></span>
                <button class="arrow" title="Next week" aria-label="Next week"
                    on:click=move |_| go_next(zone.get_untracked(), week.get_untracked().next())>"▶"</button>
            </div>
        </div>
        <h1>"Dispatch Groups"</h1>
        {move || match (zones.get(), groups.get()) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => view! { <p class="error">{e}</p> }.into_any(),
            (Some(Ok(z)), _) if z.is_empty() => view! {
                <p class="notice">"You have no dispatch groups in any zone yet."</p>
            }.into_any(),
            (_, Some(Ok(Some(list)))) if list.is_empty() => view! {
                <p class="notice">"No dispatch groups in this zone."</p>
            }.into_any(),
            (_, Some(Ok(Some(list)))) => {
                // Each programme once, with its policy in words (operators set it).
                let mut policies: Vec<(String, String)> = Vec::new();
                for p in list.iter().flat_map(|g| g.prices.iter()) {
                    if !policies.iter().any(|(name, _)| name == &p.programme.name) {
                        policies.push((p.programme.name.clone(), p.programme.policy.summary()));
                    }
                }
                view! {
                    <div class="cards">{list.into_iter().map(|g| view! { <GroupCard group=g/> }).collect_view()}</div>
                    <section class="card" id="programme-policies">
                        <h2>"Programme policies"</h2>
                        <p class="muted">"Set by the operator. Times are Europe/London."</p>
                        <dl class="facts">
                            {policies.into_iter().map(|(name, text)| view! { <dt>{name}</dt><dd>{text}</dd> }).collect_view()}
                        </dl>
                    </section>
                }.into_any()
            }
            _ => view! { <p>"Loading…"</p> }.into_any(),
        }}
    }
}

fn minutes(m: Option<i32>) -> String {
    m.map_or_else(|| "none".to_owned(), |m| m.to_string())
}

fn money(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

#[component]
fn GroupCard(group: DispatchGroup) -> impl IntoView {
    let runtimes = format!(
        "{} / {} / {}",
        minutes(group.min_runtime_minutes),
        minutes(group.max_runtime_minutes),
        minutes(group.weekly_runtime_minutes)
    );
    let direction = match group.direction {
        shared::Direction::TurnUp => "turn up",
        shared::Direction::TurnDown => "turn down",
    };
    // The group's baseline is its units': one line when they agree, else each unit's below.
    let mut baselines: Vec<String> = group
        .meterable_units
        .iter()
        .map(|u| u.baseline.describe())
        .collect();
    baselines.dedup();
    let baseline = match baselines.as_slice() {
        [] => "None this week".to_owned(),
        [one] => one.clone(),
        _ => "Per meterable unit (below)".to_owned(),
    };
    let marketplace = group.marketplace_units.join(", ");
    view! {
        <article class="card dg-card" data-dispatch-group=group.name.clone()>
            <header>
                <h2>{group.name.clone()}</h2>
                <span class="muted">"Dispatch Group "<code>{group.id.to_string()}</code></span>
            </header>
            <dl class="facts">
                <dt>"Power"</dt><dd>{format!("{} kW change ({direction})", group.power_change_kw)}</dd>
                <dt>"Min/Max/Weekly runtime"</dt><dd>{runtimes}</dd>
                <dt>"Baseline"</dt><dd>{baseline}</dd>
                <dt>"Marketplace Units"</dt><dd>{marketplace}</dd>
            </dl>
            <h3>"Meterable Units"</h3>
            <table class="grid">
                <thead><tr><th>"Meterable Unit ID"</th><th>"Name"</th><th>"Metering"</th><th>"Baseline"</th></tr></thead>
                <tbody>
                    {group.meterable_units.iter().map(|u| view! {
                        <tr>
                            <td><code>{u.id.to_string()}</code></td>
                            <td>{u.name.clone()}</td>
                            <td>{match u.metering_granularity {
                                MeteringGranularity::PerMinute => "Per minute (kW)",
                                MeteringGranularity::HalfHourly => "Half-hourly (kWh)",
                            }}</td>
                            <td class="unit-baseline">{u.baseline.describe()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>"Prices"</h3>
            <table class="grid prices">
                <thead><tr>
                    <th>"Programme"</th><th>"Availability (£/MW/h)"</th>
                    <th>"Utilisation (£/MWh)"</th><th>"Unit Ceiling (£/MWh)"</th>
                </tr></thead>
                <tbody>
                    {group.prices.iter().map(|p| view! {
                        <tr>
                            <td>{p.programme.name.clone()}</td>
                            <td class="num">{money(p.availability_price)}</td>
                            <td class="num">{money(p.utilisation_price)}</td>
                            <td class="num">{money(p.unit_ceiling)}</td>
                        </tr>
                        {p.warning.clone().map(|w| view! { <tr class="price-warning"><td colspan="4" class="warning">{format!("⚠ {}: {w}", p.programme.name)}</td></tr> })}
                    }).collect_view()}
                </tbody>
            </table>
        </article>
    }
}
