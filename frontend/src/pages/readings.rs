//! API Testing › Readings (guide §3.1): the latest 60 readings of each of the company's
//! meterable units, and an example request for sending one.

use crate::api::{assets, readings};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{MeterableUnit, MeteringGranularity, Reading};

/// Every unit of the caller's company with its latest readings.
async fn load() -> Result<Vec<(MeterableUnit, Vec<Reading>)>, String> {
    let mut out = Vec::new();
    for zone in assets::zones().await? {
        for unit in assets::meterable_units(zone.id.as_str()).await? {
            let rows = readings::latest(unit.id.as_str()).await?;
            out.push((unit, rows));
        }
    }
    Ok(out)
}

fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

#[component]
pub fn ReadingsPage() -> impl IntoView {
    let data = LocalResource::new(load);
    let upload = RwSignal::new(None::<Result<String, String>>);
    view! {
        <h1>"Readings"</h1>
        <p>"The latest 60 readings are shown below to help test your integration with the metering API. "
           "Per-minute units send power (kW); half-hourly units send energy (kWh). Timestamps are UTC and mark the end of the interval."</p>
        <p>
            <button class="primary" id="refresh-readings" on:click=move |_| data.refetch()>"Refresh readings"</button>
            " "
            <label class="upload">"Upload CSV "
                <input type="file" id="upload-csv" accept=".csv,text/csv" on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
                    spawn_local(async move {
                        let text = wasm_bindgen_futures::JsFuture::from(file.text())
                            .await
                            .ok()
                            .and_then(|v| v.as_string())
                            .unwrap_or_default();
                        let result = readings::upload_csv(text).await.map(|s| {
                            format!(
                                "Uploaded: {} readings ({} new, {} changed, {} unchanged).",
                                s.accepted, s.inserted, s.updated, s.unchanged
                            )
                        });
                        upload.set(Some(result));
                        data.refetch();
                    });
                }/>
            </label>
        </p>
        <p class="muted">"CSV header: "<code>"meterable_unit_id,timestamp,power_kw"</code>" (per-minute units) or "
            <code>"meterable_unit_id,timestamp,energy_kwh"</code>" (half-hourly units)."</p>
        {move || match upload.get() {
            Some(Ok(m)) => Some(view! { <p class="notice" id="upload-result">{m}</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error" id="upload-result">{e}</p> }.into_any()),
            None => None,
        }}
        {move || match data.get() {
            Some(Ok(units)) if units.is_empty() => view! { <p class="notice">"Your company has no meterable units yet."</p> }.into_any(),
            Some(Ok(units)) => {
                let example = units.first().map(|(u, _)| (u.id.clone(), u.metering_granularity));
                view! {
                    {units.into_iter().map(|(unit, rows)| {
                        let energy = unit.metering_granularity == MeteringGranularity::HalfHourly;
                        view! {
                            <section class="card readings" data-unit=unit.id.to_string()>
                                <h2>{unit.name.clone()}</h2>
                                <table class="grid">
                                    <thead><tr>
                                        <th>"Timestamp"</th><th>"Zone"</th><th>"Meterable Unit ID"</th>
                                        <th>{if energy { "Energy (kWh)" } else { "Power (kW)" }}</th>
                                    </tr></thead>
                                    <tbody>
                                        {if rows.is_empty() {
                                            view! { <tr><td colspan="4" class="muted">"No readings received yet."</td></tr> }.into_any()
                                        } else {
                                            rows.into_iter().map(|r| view! {
                                                <tr>
                                                    <td>{r.timestamp.format("%Y-%m-%dT%H:%M:%SZ").to_string()}</td>
                                                    <td>{r.zone}</td>
                                                    <td><code>{r.meterable_unit_id}</code></td>
                                                    <td class="num">{r.power_kw.or(r.energy_kwh).map(|v| v.to_string()).unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view().into_any()
                                        }}
                                    </tbody>
                                </table>
                            </section>
                        }
                    }).collect_view()}
                    {example.map(|(id, granularity)| {
                        let (field, value) = match granularity {
                            MeteringGranularity::PerMinute => ("power_kw", "-907.99"),
                            MeteringGranularity::HalfHourly => ("energy_kwh", "12.5"),
                        };
                        // The browser's clock, to the minute: an example, not a measurement.
                        let iso = String::from(js_sys::Date::new_0().to_iso_string());
                        let now = format!("{}:00Z", iso.get(..16).unwrap_or("2025-02-01T02:00"));
                        let curl = format!(
                            "curl -X POST {}/api/v2/readings \\\n  -H 'Authorization: Bearer <your API token>' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"readings\":[{{\"meterable_unit_id\":\"{id}\",\"timestamp\":\"{now}\",\"{field}\":{value}}}]}}'",
                            origin()
                        );
                        view! {
                            <h2>"Example: post a reading"</h2>
                            <p class="muted">"Create a token under My API Access Tokens and put it in place of the placeholder."</p>
                            <pre class="mail" id="curl-example">{curl}</pre>
                        }
                    })}
                }.into_any()
            }
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
    }
}
