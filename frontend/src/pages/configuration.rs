//! Configuration (operators): zones, programme policies, dispatch groups with their prices,
//! meterable units and baselines. FSPs read the same settings on Meterable Units.

use crate::api::graphql;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::{
    BaselineMethod, DayOfWeek, DeliveryScale, DispatchGroup, PaymentBasis, PerformanceFactor,
    ProgrammePolicy,
};

const POLICY: &str = "policy { declarationLockDay declarationLockTime acceptanceDay acceptanceTime autoAccept weekAheadDay weekAheadTime dayAheadTime startLeadMinutes manualDispatch paymentBasis deliveryScale performanceFactor }";

#[derive(Deserialize, Clone)]
struct ProgrammeRow {
    id: String,
    name: String,
    policy: ProgrammePolicy,
}

#[derive(Deserialize, Clone)]
struct ZoneRow {
    id: String,
    name: String,
    sandbox: bool,
    programmes: Vec<ProgrammeRow>,
}

#[derive(Deserialize, Clone)]
struct Data {
    zones: Vec<ZoneRow>,
    dispatch_groups: Vec<DispatchGroup>,
}

#[derive(Deserialize, Clone)]
struct ZonesOnly {
    zones: Vec<ZoneRow>,
}

type Message = RwSignal<Option<Result<String, String>>>;

/// Runs a mutation, reports its outcome and reloads the page's data.
fn act(
    query: String,
    variables: Value,
    done: &'static str,
    message: Message,
    reload: impl Fn() + 'static,
) {
    spawn_local(async move {
        let result = graphql::<Value>(&query, variables).await;
        message.set(Some(result.map(|_| done.to_owned())));
        reload();
    });
}

fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() { None } else { t.parse().ok() }
}

fn whole(text: &str) -> Option<i32> {
    let t = text.trim();
    if t.is_empty() { None } else { t.parse().ok() }
}

#[component]
pub fn ConfigurationPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let zones = LocalResource::new(|| async {
        let query =
            format!("query {{ zones {{ id name sandbox programmes {{ id name {POLICY} }} }} }}");
        graphql::<ZonesOnly>(&query, json!({})).await
    });
    let zone = Memo::new(move |_| {
        query.with(|q| q.get("zone")).or_else(|| {
            zones
                .get()
                .and_then(|r| r.ok())
                .and_then(|z| z.zones.first().map(|z| z.id.clone()))
        })
    });
    let data = LocalResource::new(move || {
        let zone = zone.get();
        async move {
            let Some(zone) = zone else { return Ok(None) };
            graphql::<Data>(
                &format!(
                    "query C($z: String!) {{ zones {{ id name sandbox programmes {{ id name {POLICY} }} }}
                      dispatchGroups(zoneId: $z) {{ id name zoneId companyName powerChangeKw direction
                        minRuntimeMinutes maxRuntimeMinutes weeklyRuntimeMinutes marketplaceUnits
                        meterableUnits {{ id name dispatchGroupId dispatchGroupName zoneId meteringGranularity baseline {{ method staticKw }} }}
                        prices {{ programme {{ id kind name productCode auction {POLICY} }} availabilityPrice utilisationPrice unitCeiling }} }} }}"
                ),
                json!({ "z": zone }),
            )
            .await
            .map(Some)
        }
    });
    let message: Message = RwSignal::new(None);
    let reload = move || {
        zones.refetch();
        data.refetch();
    };
    view! {
        <div class="toolbar">
            <label>"Zone "
                <select id="config-zone" on:change=move |ev| navigate(&format!("/configuration?zone={}", event_target_value(&ev)), Default::default())>
                    {move || zones.get().and_then(|r| r.ok()).map(|z| z.zones.into_iter().map(|z| {
                        let selected = zone.get().as_deref() == Some(z.id.as_str());
                        let label = if z.sandbox { format!("{} (sandbox)", z.name) } else { z.name.clone() };
                        view! { <option value=z.id.clone() selected=selected>{label}</option> }
                    }).collect_view())}
                </select>
            </label>
        </div>
        <h1>"Configuration"</h1>
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="notice" id="config-message">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" id="config-message">{text}</p> }.into_any(),
        })}
        {move || match data.get() {
            Some(Ok(Some(d))) => {
                let zone_id = zone.get().unwrap_or_default();
                let current = d.zones.iter().find(|z| z.id == zone_id).cloned();
                view! {
                    {current.clone().map(|z| view! { <ZoneCard zone=z message=message reload=reload/> })}
                    <section class="card">
                        <h2>"Dispatch groups"</h2>
                        {d.dispatch_groups.into_iter().map(|g| view! {
                            <GroupCard group=g programmes=current.clone().map(|z| z.programmes).unwrap_or_default() message=message reload=reload/>
                        }).collect_view()}
                        <NewGroup zone=zone_id message=message reload=reload/>
                    </section>
                    <NewZone message=message reload=reload/>
                }.into_any()
            }
            Some(Ok(None)) => view! { <NewZone message=message reload=reload/> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
    }
}

fn day_select(id: String, value: RwSignal<String>, optional: bool) -> impl IntoView {
    view! {
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
            {optional.then(|| view! { <option value="" selected=move || value.get().is_empty()>"none"</option> })}
            {DayOfWeek::ALL.iter().map(|d| {
                let code = d.as_str().to_owned();
                let selected = { let code = code.clone(); move || value.get() == code };
                view! { <option value=code.clone() selected=selected>{code.clone()}</option> }
            }).collect_view()}
        </select>
    }
}

#[component]
fn ZoneCard(
    zone: ZoneRow,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new(zone.name.clone());
    let sandbox = RwSignal::new(zone.sandbox);
    let kind = RwSignal::new("DYNAMIC".to_owned());
    let auction = RwSignal::new(true);
    let add_programme = {
        let id = zone.id.clone();
        move |_| {
            act(
            "mutation($z: String!, $k: ProgrammeKind!, $a: Boolean!) { createProgramme(zoneId: $z, kind: $k, auction: $a) { id } }".to_owned(),
            json!({ "z": id, "k": kind.get_untracked(), "a": auction.get_untracked() }),
            "Programme added.", message, reload)
        }
    };
    let id = zone.id.clone();
    let save = move |_| {
        act(
            "mutation($id: String!, $n: String!, $s: Boolean!) { updateZone(id: $id, name: $n, sandbox: $s) { id } }".to_owned(),
            json!({ "id": id, "n": name.get_untracked(), "s": sandbox.get_untracked() }),
            "Zone saved.",
            message,
            reload,
        );
    };
    view! {
        <section class="card">
            <h2>"Zone "<code>{zone.id.clone()}</code></h2>
            <p>
                <label>"Name " <input type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>" "
                <label><input type="checkbox" prop:checked=move || sandbox.get() on:change=move |ev| sandbox.set(event_target_checked(&ev))/>" Sandbox (nothing is paid)"</label>" "
                <button on:click=save>"Save zone"</button>
            </p>
            <h3>"Programmes"</h3>
            {zone.programmes.into_iter().map(|p| view! { <PolicyForm programme=p message=message reload=reload/> }).collect_view()}
            <p>
                <select on:change=move |ev| kind.set(event_target_value(&ev))>
                    {shared::ProgrammeKind::ALL.iter().map(|k| {
                        let code = k.as_str().to_uppercase();
                        view! { <option value=code.clone() selected={let code = code.clone(); move || kind.get() == code}>{k.label()}</option> }
                    }).collect_view()}
                </select>" "
                <label><input type="checkbox" prop:checked=move || auction.get() on:change=move |ev| auction.set(event_target_checked(&ev))/>" auction"</label>" "
                <button on:click=add_programme>"Add programme"</button>
            </p>
        </section>
    }
}

#[component]
fn PolicyForm(
    programme: ProgrammeRow,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let p = programme.policy.clone();
    let lock_day = RwSignal::new(p.declaration_lock_day.as_str().to_owned());
    let lock_time = RwSignal::new(p.declaration_lock_time.clone());
    let accept_day = RwSignal::new(p.acceptance_day.as_str().to_owned());
    let accept_time = RwSignal::new(p.acceptance_time.clone());
    let auto_accept = RwSignal::new(p.auto_accept);
    let week_day = RwSignal::new(
        p.week_ahead_day
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
    );
    let week_time = RwSignal::new(p.week_ahead_time.clone().unwrap_or_default());
    let day_time = RwSignal::new(p.day_ahead_time.clone().unwrap_or_default());
    let lead = RwSignal::new(p.start_lead_minutes.to_string());
    let manual = RwSignal::new(p.manual_dispatch);
    let basis = RwSignal::new(p.payment_basis.as_str().to_owned());
    let scale = RwSignal::new(p.delivery_scale.as_str().to_owned());
    let factor = RwSignal::new(p.performance_factor.as_str().to_owned());
    let id = programme.id.clone();
    let upper = |s: String| s.to_uppercase();
    let blank = |s: String| {
        if s.trim().is_empty() {
            Value::Null
        } else {
            Value::String(s)
        }
    };
    let save = move |_| {
        let policy = json!({
            "declarationLockDay": lock_day.get_untracked(), "declarationLockTime": lock_time.get_untracked(),
            "acceptanceDay": accept_day.get_untracked(), "acceptanceTime": accept_time.get_untracked(),
            "autoAccept": auto_accept.get_untracked(),
            "weekAheadDay": blank(week_day.get_untracked()), "weekAheadTime": blank(week_time.get_untracked()),
            "dayAheadTime": blank(day_time.get_untracked()),
            "startLeadMinutes": lead.get_untracked().trim().parse::<u32>().unwrap_or(u32::MAX),
            "manualDispatch": manual.get_untracked(),
            "paymentBasis": upper(basis.get_untracked()), "deliveryScale": upper(scale.get_untracked()),
            "performanceFactor": upper(factor.get_untracked()),
        });
        act(
            "mutation($p: String!, $policy: ProgrammePolicyInput!) { updateProgrammePolicy(programmeId: $p, policy: $policy) { id } }".to_owned(),
            json!({ "p": id, "policy": policy }),
            "Policy saved.",
            message,
            reload,
        );
    };
    let text = |value: RwSignal<String>| view! { <input type="text" class="short" placeholder="HH:MM" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/> };
    let choice = |value: RwSignal<String>, options: Vec<(&'static str, &'static str)>| {
        view! {
            <select on:change=move |ev| value.set(event_target_value(&ev))>
                {options.into_iter().map(|(code, label)| view! { <option value=code selected=move || value.get() == code>{label}</option> }).collect_view()}
            </select>
        }
    };
    let slug = programme.name.to_lowercase().replace([' ', '(', ')'], "-");
    view! {
        <details class="policy" data-programme=programme.name.clone()>
            <summary>{programme.name.clone()}</summary>
            <table class="form-table">
                <tr><th>"Declarations lock"</th><td>{day_select(format!("lock-day-{slug}"), lock_day, false)}" "{text(lock_time)}" (the week before)"</td></tr>
                <tr><th>"Acceptance by"</th><td>{day_select(format!("accept-day-{slug}"), accept_day, false)}" "{text(accept_time)}</td></tr>
                <tr><th>"Auto-accept at the lock"</th><td><input type="checkbox" prop:checked=move || auto_accept.get() on:change=move |ev| auto_accept.set(event_target_checked(&ev))/></td></tr>
                <tr><th>"Week-ahead schedule"</th><td>{day_select(format!("week-day-{slug}"), week_day, true)}" "{text(week_time)}</td></tr>
                <tr><th>"Day-ahead schedule"</th><td>{text(day_time)}" daily"</td></tr>
                <tr><th>"START lead (minutes)"</th><td><input type="number" class="short" prop:value=move || lead.get() on:input=move |ev| lead.set(event_target_value(&ev))/></td></tr>
                <tr><th>"Manual dispatch"</th><td><input type="checkbox" prop:checked=move || manual.get() on:change=move |ev| manual.set(event_target_checked(&ev))/></td></tr>
                <tr><th>"Paid for"</th><td>{choice(basis, PaymentBasis::ALL.iter().map(|b| (b.as_str(), match b { PaymentBasis::AvailabilityAndUtilisation => "availability and utilisation", PaymentBasis::UtilisationOnly => "utilisation only" })).collect())}</td></tr>
                <tr><th>"Delivery scale"</th><td>{choice(scale, DeliveryScale::ALL.iter().map(|s| (s.as_str(), match s { DeliveryScale::Flat => "flat", DeliveryScale::Sliding => "sliding 50–100 %" })).collect())}</td></tr>
                <tr><th>"Availability performance factor"</th><td>{choice(factor, PerformanceFactor::ALL.iter().map(|f| (f.as_str(), match f { PerformanceFactor::One => "1", PerformanceFactor::LastMonth => "last month's delivery" })).collect())}</td></tr>
            </table>
            <button class="primary save-policy" on:click=save>"Save policy"</button>
        </details>
    }
}

#[component]
fn GroupCard(
    group: DispatchGroup,
    programmes: Vec<ProgrammeRow>,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = group.id.to_string();
    let name = RwSignal::new(group.name.clone());
    let kw = RwSignal::new(group.power_change_kw.to_string());
    let direction = RwSignal::new(group.direction.as_str().to_uppercase());
    let min = RwSignal::new(
        group
            .min_runtime_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let max = RwSignal::new(
        group
            .max_runtime_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let weekly = RwSignal::new(
        group
            .weekly_runtime_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let market = RwSignal::new(group.marketplace_units.join(", "));
    let save = {
        let id = id.clone();
        move |_| {
            let g = json!({
                "name": name.get_untracked(), "powerChangeKw": number(&kw.get_untracked()).unwrap_or(f64::NAN),
                "direction": direction.get_untracked(),
                "minRuntimeMinutes": whole(&min.get_untracked()), "maxRuntimeMinutes": whole(&max.get_untracked()),
                "weeklyRuntimeMinutes": whole(&weekly.get_untracked()),
                "marketplaceUnits": market.get_untracked().split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            });
            act("mutation($id: String!, $g: DispatchGroupInput!) { updateDispatchGroup(id: $id, group: $g) { id } }".to_owned(),
                json!({ "id": id, "g": g }), "Dispatch group saved.", message, reload);
        }
    };
    let retire = {
        let id = id.clone();
        move |_| {
            act(
                "mutation($id: String!) { retireDispatchGroup(id: $id) }".to_owned(),
                json!({ "id": id }),
                "Dispatch group retired.",
                message,
                reload,
            )
        }
    };
    let field = |label: &'static str, value: RwSignal<String>| {
        view! {
            <label>{label}" "<input type="text" class="short" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></label>" "
        }
    };
    let prices = group.prices.clone();
    let new_unit = RwSignal::new(String::new());
    let new_granularity = RwSignal::new("PER_MINUTE".to_owned());
    let add_unit = {
        let id = id.clone();
        move |_| {
            act(
            "mutation($g: String!, $u: MeterableUnitInput!) { createMeterableUnit(dispatchGroupId: $g, unit: $u) { id } }".to_owned(),
            json!({ "g": id, "u": { "name": new_unit.get_untracked(), "meteringGranularity": new_granularity.get_untracked() } }),
            "Meterable unit added.", message, reload)
        }
    };
    view! {
        <article class="card dg-config" data-dispatch-group=group.name.clone()>
            <h3>{group.name.clone()}" "<span class="muted">{format!("({})", group.company_name)}</span></h3>
            <p>
                {field("Name", name)}{field("kW", kw)}
                <label>"Direction "<select on:change=move |ev| direction.set(event_target_value(&ev))>
                    <option value="TURN_DOWN" selected=move || direction.get() == "TURN_DOWN">"turn down"</option>
                    <option value="TURN_UP" selected=move || direction.get() == "TURN_UP">"turn up"</option>
                </select></label>" "
                {field("Min", min)}{field("Max", max)}{field("Weekly", weekly)}{field("Marketplace units", market)}
                <button on:click=save>"Save"</button>" "
                <button class="danger" on:click=retire>"Retire"</button>
            </p>
            <table class="grid prices">
                <thead><tr><th>"Programme"</th><th>"Availability (£/MW/h)"</th><th>"Utilisation (£/MWh)"</th><th>"Unit Ceiling (£/MWh)"</th><th></th></tr></thead>
                <tbody>
                    {programmes.into_iter().map(|p| {
                        let current = prices.iter().find(|row| row.programme.id.to_string() == p.id).cloned();
                        view! { <PriceRow group=id.clone() programme=p current=current message=message reload=reload/> }
                    }).collect_view()}
                </tbody>
            </table>
            <h4>"Meterable units"</h4>
            {group.meterable_units.into_iter().map(|u| view! { <UnitRow unit=u message=message reload=reload/> }).collect_view()}
            <p>
                <input type="text" placeholder="New unit name" prop:value=move || new_unit.get() on:input=move |ev| new_unit.set(event_target_value(&ev))/>" "
                <select on:change=move |ev| new_granularity.set(event_target_value(&ev))>
                    <option value="PER_MINUTE">"per minute (kW)"</option>
                    <option value="HALF_HOURLY">"half-hourly (kWh)"</option>
                </select>" "
                <button on:click=add_unit>"Add unit"</button>
            </p>
        </article>
    }
}

#[component]
fn PriceRow(
    group: String,
    programme: ProgrammeRow,
    current: Option<shared::ProgrammePrice>,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let show = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    let availability = RwSignal::new(show(current.as_ref().and_then(|c| c.availability_price)));
    let utilisation = RwSignal::new(show(current.as_ref().and_then(|c| c.utilisation_price)));
    let ceiling = RwSignal::new(show(current.as_ref().and_then(|c| c.unit_ceiling)));
    let programme_id = programme.id.clone();
    let save = move |_| {
        act(
        "mutation($g: String!, $p: String!, $price: PriceInput!) { setPrice(dispatchGroupId: $g, programmeId: $p, price: $price) { id } }".to_owned(),
        json!({ "g": group, "p": programme_id, "price": {
            "availabilityPrice": number(&availability.get_untracked()), "utilisationPrice": number(&utilisation.get_untracked()),
            "unitCeiling": number(&ceiling.get_untracked()) } }),
        "Prices saved.", message, reload)
    };
    let cell = |value: RwSignal<String>| view! { <td><input type="text" class="short money" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></td> };
    view! {
        <tr data-programme=programme.name.clone()>
            <td>{programme.name.clone()}</td>
            {cell(availability)}{cell(utilisation)}{cell(ceiling)}
            <td><button class="save-price" on:click=save>"Save"</button></td>
        </tr>
    }
}

#[component]
fn UnitRow(
    unit: shared::MeterableUnit,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = unit.id.to_string();
    let method = RwSignal::new(unit.baseline.method.as_str().to_uppercase());
    let static_kw = RwSignal::new(
        unit.baseline
            .static_kw
            .map(|k| k.to_string())
            .unwrap_or_default(),
    );
    let set = {
        let id = id.clone();
        move |_| {
            act(
            "mutation($u: String!, $m: BaselineMethod!, $kw: Float) { setBaseline(meterableUnitId: $u, method: $m, staticKw: $kw) }".to_owned(),
            json!({ "u": id, "m": method.get_untracked(), "kw": number(&static_kw.get_untracked()) }),
            "Baseline saved.", message, reload)
        }
    };
    let retire = {
        let id = id.clone();
        move |_| {
            act(
                "mutation($id: String!) { retireMeterableUnit(id: $id) }".to_owned(),
                json!({ "id": id }),
                "Meterable unit retired.",
                message,
                reload,
            )
        }
    };
    let upload = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let id = id.clone();
        spawn_local(async move {
            let csv = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let result = graphql::<Value>(
                "mutation($u: String!, $c: String!) { uploadBaselineTemplate(meterableUnitId: $u, csv: $c) }",
                json!({ "u": id, "c": csv }),
            ).await;
            message.set(Some(result.map(|v| {
                format!("Template stored: {} values.", v["upload_baseline_template"])
            })));
            reload();
        });
    };
    view! {
        <div class="unit-config">
            <code>{unit.id.to_string()}</code>" "{unit.name.clone()}" · "
            {match unit.metering_granularity { shared::MeteringGranularity::PerMinute => "per minute", shared::MeteringGranularity::HalfHourly => "half-hourly" }}
            " · Baseline "
            <select on:change=move |ev| method.set(event_target_value(&ev))>
                {BaselineMethod::ALL.iter().map(|m| {
                    let code = m.as_str().to_uppercase();
                    let selected = { let code = code.clone(); move || method.get() == code };
                    view! { <option value=code.clone() selected=selected>{m.as_str()}</option> }
                }).collect_view()}
            </select>" "
            <input type="text" class="short" placeholder="static kW" prop:value=move || static_kw.get() on:input=move |ev| static_kw.set(event_target_value(&ev))/>" "
            <button on:click=set>"Set baseline"</button>" "
            <label class="upload">"Template CSV "<input type="file" accept=".csv,text/csv" on:change=upload/></label>" "
            <button class="danger" on:click=retire>"Retire"</button>
        </div>
    }
}

#[component]
fn NewGroup(
    zone: String,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let company = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let kw = RwSignal::new(String::new());
    let create = move |_| {
        act(
        "mutation($z: String!, $c: String!, $g: DispatchGroupInput!) { createDispatchGroup(zoneId: $z, company: $c, group: $g) { id } }".to_owned(),
        json!({ "z": zone, "c": company.get_untracked(), "g": {
            "name": name.get_untracked(), "powerChangeKw": number(&kw.get_untracked()).unwrap_or(f64::NAN),
            "direction": "TURN_DOWN", "minRuntimeMinutes": null, "maxRuntimeMinutes": null,
            "weeklyRuntimeMinutes": null, "marketplaceUnits": [] } }),
        "Dispatch group created.", message, reload)
    };
    let input = |placeholder: &'static str, value: RwSignal<String>| {
        view! {
            <input type="text" placeholder=placeholder prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>" "
        }
    };
    view! {
        <h3>"New dispatch group"</h3>
        <p>{input("FSP company", company)}{input("Name", name)}{input("kW", kw)}<button class="primary" on:click=create>"Create"</button></p>
    }
}

#[component]
fn NewZone(message: Message, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let sandbox = RwSignal::new(false);
    let create = move |_| {
        act(
        "mutation($id: String!, $n: String!, $s: Boolean!) { createZone(id: $id, name: $n, sandbox: $s) { id } }".to_owned(),
        json!({ "id": id.get_untracked(), "n": name.get_untracked(), "s": sandbox.get_untracked() }),
        "Zone created.", message, reload)
    };
    view! {
        <section class="card">
            <h2>"New zone"</h2>
            <p>
                <input type="text" placeholder="id, e.g. loch-ness" prop:value=move || id.get() on:input=move |ev| id.set(event_target_value(&ev))/>" "
                <input type="text" placeholder="Name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>" "
                <label><input type="checkbox" prop:checked=move || sandbox.get() on:change=move |ev| sandbox.set(event_target_checked(&ev))/>" Sandbox"</label>" "
                <button class="primary" on:click=create>"Create zone"</button>
            </p>
        </section>
    }
}
