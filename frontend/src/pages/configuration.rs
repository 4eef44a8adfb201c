//! Configuration (operators): zones, programme policies, dispatch groups with their prices,
//! meterable units and baselines. FSPs read the same settings on Meterable Units.

use crate::api::{assets, configuration};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{
    BaselineMethod, DayOfWeek, DeliveryScale, Direction, DispatchGroup, DispatchGroupInput,
    MeterableUnitInput, MeteringGranularity, PaymentBasis, PerformanceFactor, PriceInput,
    Programme, ProgrammeKind, ProgrammePolicy, UndecidedAtDeadline, Zone,
};
use std::future::Future;

type Message = RwSignal<Option<Result<String, String>>>;

/// Runs a change, reports its outcome and reloads the page's data.
fn act(
    change: impl Future<Output = Result<(), String>> + 'static,
    done: &'static str,
    message: Message,
    reload: impl Fn() + 'static,
) {
    spawn_local(async move {
        let result = change.await;
        message.set(Some(result.map(|()| done.to_owned())));
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

/// A dispatch group's fields as typed into the page; the capacity must be a number.
fn group_input(
    name: String,
    kw: &str,
    direction: Direction,
    runtimes: [&str; 3],
    marketplace_units: &str,
) -> Result<DispatchGroupInput, String> {
    let power_change_kw = number(kw).ok_or("kW must be a number")?;
    let [min, max, weekly] = runtimes;
    Ok(DispatchGroupInput {
        name,
        power_change_kw,
        direction,
        min_runtime_minutes: whole(min),
        max_runtime_minutes: whole(max),
        weekly_runtime_minutes: whole(weekly),
        marketplace_units: marketplace_units
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[component]
pub fn ConfigurationPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let zones = LocalResource::new(assets::zones);
    let zone = Memo::new(move |_| {
        query.with(|q| q.get("zone")).or_else(|| {
            zones
                .get()
                .and_then(|r| r.ok())
                .and_then(|z| z.first().map(|z| z.id.to_string()))
        })
    });
    let data = LocalResource::new(move || {
        let zone = zone.get();
        async move {
            let Some(zone) = zone else { return Ok(None) };
            let zones = assets::zones().await?;
            let groups = assets::dispatch_groups(&zone, None).await?;
            Ok::<_, String>(Some((zones, groups)))
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
                    {move || zones.get().and_then(|r| r.ok()).map(|z| z.into_iter().map(|z| {
                        let selected = zone.get().as_deref() == Some(z.id.as_str());
                        let label = if z.sandbox { format!("{} (sandbox)", z.name) } else { z.name.clone() };
                        view! { <option value=z.id.to_string() selected=selected>{label}</option> }
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
            Some(Ok(Some((zones, groups)))) => {
                let zone_id = zone.get().unwrap_or_default();
                let current = zones.into_iter().find(|z| z.id.as_str() == zone_id);
                view! {
                    {current.clone().map(|z| view! { <ZoneCard zone=z message=message reload=reload/> })}
                    <section class="card">
                        <h2>"Dispatch groups"</h2>
                        {groups.into_iter().map(|g| view! {
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

fn day_select(id: String, value: RwSignal<Option<DayOfWeek>>, optional: bool) -> impl IntoView {
    view! {
        <select id=id on:change=move |ev| value.set(DayOfWeek::parse(&event_target_value(&ev)))>
            {optional.then(|| view! { <option value="" selected=move || value.get().is_none()>"none"</option> })}
            {DayOfWeek::ALL.iter().map(|&d| {
                view! { <option value=d.as_str() selected=move || value.get() == Some(d)>{d.as_str()}</option> }
            }).collect_view()}
        </select>
    }
}

/// A choice among a code enum's values, labelled.
fn choice<T: Copy + PartialEq + Send + Sync + 'static>(
    value: RwSignal<T>,
    options: &'static [T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> impl IntoView {
    view! {
        <select on:change=move |ev| {
            let chosen = event_target_value(&ev);
            if let Some(&v) = options.iter().find(|&&o| code(o) == chosen) { value.set(v) }
        }>
            {options.iter().map(|&o| view! { <option value=code(o) selected=move || value.get() == o>{label(o)}</option> }).collect_view()}
        </select>
    }
}

#[component]
fn ZoneCard(
    zone: Zone,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new(zone.name.clone());
    let sandbox = RwSignal::new(zone.sandbox);
    let kind = RwSignal::new(ProgrammeKind::Dynamic);
    let auction = RwSignal::new(true);
    let add_programme = {
        let id = zone.id.to_string();
        move |_| {
            let (id, kind, auction) = (id.clone(), kind.get_untracked(), auction.get_untracked());
            act(
                async move { configuration::create_programme(&id, kind, auction).await },
                "Programme added.",
                message,
                reload,
            )
        }
    };
    let id = zone.id.to_string();
    let save = move |_| {
        let (id, name, sandbox) = (id.clone(), name.get_untracked(), sandbox.get_untracked());
        act(
            async move { configuration::update_zone(&id, &name, sandbox).await },
            "Zone saved.",
            message,
            reload,
        );
    };
    view! {
        <section class="card">
            <h2>"Zone "<code>{zone.id.to_string()}</code></h2>
            <p>
                <label>"Name " <input type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>" "
                <label><input type="checkbox" prop:checked=move || sandbox.get() on:change=move |ev| sandbox.set(event_target_checked(&ev))/>" Sandbox (nothing is paid)"</label>" "
                <button on:click=save>"Save zone"</button>
            </p>
            <h3>"Programmes"</h3>
            {zone.programmes.into_iter().map(|p| view! { <PolicyForm programme=p message=message reload=reload/> }).collect_view()}
            <p>
                {choice(kind, ProgrammeKind::ALL, ProgrammeKind::as_str, ProgrammeKind::label)}" "
                <label><input type="checkbox" prop:checked=move || auction.get() on:change=move |ev| auction.set(event_target_checked(&ev))/>" auction"</label>" "
                <button on:click=add_programme>"Add programme"</button>
            </p>
        </section>
    }
}

#[component]
fn PolicyForm(
    programme: Programme,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let p = programme.policy.clone();
    let lock_day = RwSignal::new(Some(p.declaration_lock_day));
    let lock_time = RwSignal::new(p.declaration_lock_time.clone());
    let accept_day = RwSignal::new(Some(p.acceptance_day));
    let accept_time = RwSignal::new(p.acceptance_time.clone());
    let auto_accept = RwSignal::new(p.auto_accept);
    let undecided = RwSignal::new(p.undecided_at_deadline);
    let week_day = RwSignal::new(p.week_ahead_day);
    let week_time = RwSignal::new(p.week_ahead_time.clone().unwrap_or_default());
    let day_time = RwSignal::new(p.day_ahead_time.clone().unwrap_or_default());
    let email_day = RwSignal::new(p.week_ahead_email_day);
    let email_time = RwSignal::new(p.week_ahead_email_time.clone().unwrap_or_default());
    let lead = RwSignal::new(p.start_lead_minutes.to_string());
    let manual = RwSignal::new(p.manual_dispatch);
    let basis = RwSignal::new(p.payment_basis);
    let scale = RwSignal::new(p.delivery_scale);
    let factor = RwSignal::new(p.performance_factor);
    let id = programme.id.to_string();
    let blank = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let save = move |_| {
        let Ok(start_lead_minutes) = lead.get_untracked().trim().parse::<u32>() else {
            message.set(Some(
                Err("START lead: a whole number of minutes".to_owned()),
            ));
            return;
        };
        // The two required days always hold a value: their selects have no "none".
        let (Some(declaration_lock_day), Some(acceptance_day)) =
            (lock_day.get_untracked(), accept_day.get_untracked())
        else {
            return;
        };
        let policy = ProgrammePolicy {
            declaration_lock_day,
            declaration_lock_time: lock_time.get_untracked(),
            acceptance_day,
            acceptance_time: accept_time.get_untracked(),
            auto_accept: auto_accept.get_untracked(),
            undecided_at_deadline: undecided.get_untracked(),
            week_ahead_day: week_day.get_untracked(),
            week_ahead_time: blank(week_time.get_untracked()),
            day_ahead_time: blank(day_time.get_untracked()),
            week_ahead_email_day: email_day.get_untracked(),
            week_ahead_email_time: blank(email_time.get_untracked()),
            start_lead_minutes,
            manual_dispatch: manual.get_untracked(),
            payment_basis: basis.get_untracked(),
            delivery_scale: scale.get_untracked(),
            performance_factor: factor.get_untracked(),
        };
        let id = id.clone();
        act(
            async move { configuration::update_programme_policy(&id, &policy).await },
            "Policy saved.",
            message,
            reload,
        );
    };
    let text = |value: RwSignal<String>| view! { <input type="text" class="short" placeholder="HH:MM" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/> };
    let slug = programme.name.to_lowercase().replace([' ', '(', ')'], "-");
    view! {
        <details class="policy" data-programme=programme.name.clone()>
            <summary>{programme.name.clone()}</summary>
            <table class="form-table">
                <tr><th>"Declarations lock"</th><td>{day_select(format!("lock-day-{slug}"), lock_day, false)}" "{text(lock_time)}" (the week before)"</td></tr>
                <tr><th>"Acceptance by"</th><td>{day_select(format!("accept-day-{slug}"), accept_day, false)}" "{text(accept_time)}</td></tr>
                <tr><th>"Auto-accept at the lock"</th><td><input type="checkbox" prop:checked=move || auto_accept.get() on:change=move |ev| auto_accept.set(event_target_checked(&ev))/></td></tr>
                <tr><th>"Undecided at the acceptance time"</th><td>{choice(undecided, UndecidedAtDeadline::ALL, UndecidedAtDeadline::as_str, |u| match u { UndecidedAtDeadline::Accept => "accepted", UndecidedAtDeadline::Reject => "rejected" })}</td></tr>
                <tr><th>"Week-ahead schedule"</th><td>{day_select(format!("week-day-{slug}"), week_day, true)}" "{text(week_time)}</td></tr>
                <tr><th>"Day-ahead schedule"</th><td>{text(day_time)}" daily"</td></tr>
                <tr><th>"Mandatory week-ahead e-mail"</th><td>{day_select(format!("email-day-{slug}"), email_day, true)}" "{text(email_time)}" (every user of each company in the programme)"</td></tr>
                <tr><th>"START lead (minutes)"</th><td><input type="number" class="short" prop:value=move || lead.get() on:input=move |ev| lead.set(event_target_value(&ev))/></td></tr>
                <tr><th>"Manual dispatch"</th><td><input type="checkbox" prop:checked=move || manual.get() on:change=move |ev| manual.set(event_target_checked(&ev))/></td></tr>
                <tr><th>"Paid for"</th><td>{choice(basis, PaymentBasis::ALL, PaymentBasis::as_str, |b| match b { PaymentBasis::AvailabilityAndUtilisation => "availability and utilisation", PaymentBasis::UtilisationOnly => "utilisation only" })}</td></tr>
                <tr><th>"Delivery scale"</th><td>{choice(scale, DeliveryScale::ALL, DeliveryScale::as_str, |s| match s { DeliveryScale::Flat => "flat", DeliveryScale::Sliding => "sliding 50–100 %" })}</td></tr>
                <tr><th>"Availability performance factor"</th><td>{choice(factor, PerformanceFactor::ALL, PerformanceFactor::as_str, |f| match f { PerformanceFactor::One => "1", PerformanceFactor::LastMonth => "last month's delivery" })}</td></tr>
            </table>
            <button class="primary save-policy" on:click=save>"Save policy"</button>
        </details>
    }
}

#[component]
fn GroupCard(
    group: DispatchGroup,
    programmes: Vec<Programme>,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = group.id.to_string();
    let name = RwSignal::new(group.name.clone());
    let kw = RwSignal::new(group.power_change_kw.to_string());
    let direction = RwSignal::new(group.direction);
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
            let group = match group_input(
                name.get_untracked(),
                &kw.get_untracked(),
                direction.get_untracked(),
                [
                    &min.get_untracked(),
                    &max.get_untracked(),
                    &weekly.get_untracked(),
                ],
                &market.get_untracked(),
            ) {
                Ok(group) => group,
                Err(e) => return message.set(Some(Err(e))),
            };
            let id = id.clone();
            act(
                async move { configuration::update_dispatch_group(&id, &group).await },
                "Dispatch group saved.",
                message,
                reload,
            );
        }
    };
    let retire = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            act(
                async move { configuration::retire_dispatch_group(&id).await },
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
    let new_granularity = RwSignal::new(MeteringGranularity::PerMinute);
    let add_unit = {
        let id = id.clone();
        move |_| {
            let unit = MeterableUnitInput {
                name: new_unit.get_untracked(),
                metering_granularity: new_granularity.get_untracked(),
            };
            let id = id.clone();
            act(
                async move { configuration::create_meterable_unit(&id, &unit).await },
                "Meterable unit added.",
                message,
                reload,
            )
        }
    };
    view! {
        <article class="card dg-config" data-dispatch-group=group.name.clone()>
            <h3>{group.name.clone()}" "<span class="muted">{format!("({})", group.company_name)}</span></h3>
            <p>
                {field("Name", name)}{field("kW", kw)}
                <label>"Direction "{choice(direction, Direction::ALL, Direction::as_str, |d| match d { Direction::TurnDown => "turn down", Direction::TurnUp => "turn up" })}</label>" "
                {field("Min", min)}{field("Max", max)}{field("Weekly", weekly)}{field("Marketplace units", market)}
                <button on:click=save>"Save"</button>" "
                <button class="danger" on:click=retire>"Retire"</button>
            </p>
            <table class="grid prices">
                <thead><tr><th>"Programme"</th><th>"Availability (£/MW/h)"</th><th>"Utilisation (£/MWh)"</th><th>"Unit Ceiling (£/MWh)"</th><th></th></tr></thead>
                <tbody>
                    {programmes.into_iter().map(|p| {
                        let current = prices.iter().find(|row| row.programme.id == p.id).cloned();
                        view! { <PriceRow group=id.clone() programme=p current=current message=message reload=reload/> }
                    }).collect_view()}
                </tbody>
            </table>
            <h4>"Meterable units"</h4>
            {group.meterable_units.into_iter().map(|u| view! { <UnitRow unit=u message=message reload=reload/> }).collect_view()}
            <p>
                <input type="text" placeholder="New unit name" prop:value=move || new_unit.get() on:input=move |ev| new_unit.set(event_target_value(&ev))/>" "
                {choice(new_granularity, MeteringGranularity::ALL, MeteringGranularity::as_str, |g| match g { MeteringGranularity::PerMinute => "per minute (kW)", MeteringGranularity::HalfHourly => "half-hourly (kWh)" })}" "
                <button on:click=add_unit>"Add unit"</button>
            </p>
        </article>
    }
}

#[component]
fn PriceRow(
    group: String,
    programme: Programme,
    current: Option<shared::ProgrammePrice>,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let show = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    let availability = RwSignal::new(show(current.as_ref().and_then(|c| c.availability_price)));
    let utilisation = RwSignal::new(show(current.as_ref().and_then(|c| c.utilisation_price)));
    let ceiling = RwSignal::new(show(current.as_ref().and_then(|c| c.unit_ceiling)));
    let programme_id = programme.id.to_string();
    let save = move |_| {
        let price = PriceInput {
            availability_price: number(&availability.get_untracked()),
            utilisation_price: number(&utilisation.get_untracked()),
            unit_ceiling: number(&ceiling.get_untracked()),
        };
        let (group, programme_id) = (group.clone(), programme_id.clone());
        act(
            async move { configuration::set_price(&group, &programme_id, &price).await },
            "Prices saved.",
            message,
            reload,
        )
    };
    let cell = |value: RwSignal<String>| view! { <td><input type="text" class="short money" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></td> };
    view! {
        <tr data-programme=programme.name.clone()>
            <td>{programme.name.clone()}</td>
            {cell(availability)}{cell(utilisation)}{cell(ceiling)}
            <td><button class="save-price" on:click=save>"Save"</button>
                {current.and_then(|c| c.warning).map(|w| view! { <span class="price-warning warning">" ⚠ "{w}</span> })}</td>
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
    let method = RwSignal::new(unit.baseline.method);
    let static_kw = RwSignal::new(
        unit.baseline
            .static_kw
            .map(|k| k.to_string())
            .unwrap_or_default(),
    );
    let set = {
        let id = id.clone();
        move |_| {
            let (id, method, kw) = (
                id.clone(),
                method.get_untracked(),
                number(&static_kw.get_untracked()),
            );
            act(
                async move { configuration::set_baseline(&id, method, kw).await },
                "Baseline saved.",
                message,
                reload,
            )
        }
    };
    let retire = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            act(
                async move { configuration::retire_meterable_unit(&id).await },
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
        let name = file.name();
        spawn_local(async move {
            let csv = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let result = configuration::upload_baseline_template(&id, &csv, Some(&name)).await;
            message.set(Some(
                result.map(|values| format!("Template stored: {values} values.")),
            ));
            reload();
        });
    };
    view! {
        <div class="unit-config">
            <code>{unit.id.to_string()}</code>" "{unit.name.clone()}" · "
            {match unit.metering_granularity { shared::MeteringGranularity::PerMinute => "per minute", shared::MeteringGranularity::HalfHourly => "half-hourly" }}
            " · Baseline "
            {choice(method, BaselineMethod::ALL, BaselineMethod::as_str, BaselineMethod::as_str)}" "
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
        let group = match group_input(
            name.get_untracked(),
            &kw.get_untracked(),
            Direction::TurnDown,
            ["", "", ""],
            "",
        ) {
            Ok(group) => group,
            Err(e) => return message.set(Some(Err(e))),
        };
        let (zone, company) = (zone.clone(), company.get_untracked());
        act(
            async move { configuration::create_dispatch_group(&zone, &company, &group).await },
            "Dispatch group created.",
            message,
            reload,
        )
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
        let (id, name, sandbox) = (
            id.get_untracked(),
            name.get_untracked(),
            sandbox.get_untracked(),
        );
        act(
            async move { configuration::create_zone(&id, &name, sandbox).await },
            "Zone created.",
            message,
            reload,
        )
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
