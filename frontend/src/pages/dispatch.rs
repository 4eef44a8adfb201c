//! Dispatches (operators act, FSPs read): a week's dispatches with each message's delivery
//! state — a missed message is the control room's to chase — plus new dispatches and fair
//! allocation of a requirement.

use crate::api::{accounts, assets, dispatch};
use crate::pages::meterable_units::today;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{
    Allocation, DeliveryAttempt, Dispatch, DispatchInput, DispatchStatus, MessageStatus,
    WeekCommencing, long_date,
};

type Message = RwSignal<Option<Result<String, String>>>;

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a %d %b %H:%M UTC").to_string()
}

#[component]
pub fn DispatchesPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let week = Memo::new(move |_| {
        query
            .with(|q| q.get("week"))
            .and_then(|w| WeekCommencing::parse(&w).ok())
            .unwrap_or_else(|| WeekCommencing::containing(today()))
    });
    let me = LocalResource::new(accounts::me);
    let list = LocalResource::new(move || {
        let week = week.get();
        async move {
            let (from, to) = (
                format!("{week}T00:00:00Z"),
                format!("{}T00:00:00Z", week.next()),
            );
            dispatch::dispatches(&from, &to).await
        }
    });
    let message: Message = RwSignal::new(None);
    let operator = move || {
        me.get()
            .and_then(|r| r.ok())
            .is_some_and(|me| me.role != shared::Role::Participant)
    };
    let go =
        move |w: WeekCommencing| navigate(&format!("/dispatches?week={w}"), Default::default());
    let (go_prev, go_next) = (go.clone(), go);
    view! {
        <div class="toolbar">
            <div class="week">
                <button class="arrow" aria-label="Previous week" on:click=move |_| go_prev(week.get_untracked().previous())>"◀"</button>
                <span>"Week commencing: "<strong>{move || long_date(week.get().date())}</strong></span>
                <button class="arrow" aria-label="Next week" on:click=move |_| go_next(week.get_untracked().next())>"▶"</button>
            </div>
        </div>
        <h1>{move || if operator() { "Dispatches" } else { "Schedules" }}</h1>
        {move || (!operator()).then(|| view! {
            <p class="muted">"Your dispatch groups' dispatches and the delivery of each message. Dispatch signals reach your systems by the API (or e-mail); this page is for checking them."</p>
        })}
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="notice" id="dispatch-message">{text}</p> }.into_any(),
            Err(text) => view! { <p class="error" id="dispatch-message">{text}</p> }.into_any(),
        })}
        {move || match list.get() {
            Some(Ok(items)) if items.is_empty() => view! { <p class="notice">"No dispatches this week."</p> }.into_any(),
            Some(Ok(items)) => view! {
                <table class="grid" id="dispatch-table">
                    <thead><tr><th>"Dispatch"</th><th>"Group"</th><th>"Programme"</th><th>"From"</th><th>"To"</th><th>"kW"</th><th>"Status"</th><th>"Messages"</th><th></th></tr></thead>
                    <tbody>
                        {items.into_iter().map(|d| view! { <DispatchRow dispatch=d operator=operator() message=message reload=move || list.refetch()/> }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
        {move || operator().then(|| view! {
            <NewDispatch message=message reload=move || list.refetch()/>
            <FairAllocation message=message reload=move || list.refetch()/>
        })}
    }
}

#[component]
fn DispatchRow(
    dispatch: Dispatch,
    operator: bool,
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = dispatch.id.to_string();
    let act = move |stop: bool, id: String| {
        spawn_local(async move {
            let result = if stop {
                dispatch::emergency_stop(&id)
                    .await
                    .map(|()| "Emergency stop sent.")
            } else {
                dispatch::cancel(&id).await.map(|()| "Dispatch cancelled.")
            };
            message.set(Some(result.map(str::to_owned)));
            reload();
        });
    };
    let cancel = {
        let id = id.clone();
        move |_| act(false, id.clone())
    };
    let stop = {
        let id = id.clone();
        move |_| act(true, id.clone())
    };
    let status = match dispatch.status {
        DispatchStatus::Active => "active",
        DispatchStatus::Cancelled => "cancelled",
        DispatchStatus::EmergencyStopped => "emergency stopped",
    };
    view! {
        <tr data-dispatch=id.clone()>
            <td><code>{id.clone()}</code></td>
            <td>{dispatch.dispatch_group.clone()}</td>
            <td>{dispatch.programme.clone()}</td>
            <td>{when(dispatch.start)}</td>
            <td>{when(dispatch.end)}</td>
            <td class="num">{dispatch.power_change_kw}</td>
            <td>{status}</td>
            <td>
                {dispatch.messages.into_iter().map(|m| {
                    let class = match m.status { MessageStatus::Missed => "msg missed", MessageStatus::Delivered => "msg delivered", _ => "msg" };
                    let title = m.last_error.clone().unwrap_or_default();
                    let again = operator && matches!(m.status, MessageStatus::Missed | MessageStatus::Delivered);
                    let message_id = m.message_id.clone();
                    let resend = move |_| {
                        let id = message_id.clone();
                        spawn_local(async move {
                            let result = dispatch::resend(&id).await;
                            message.set(Some(result.map(|()| "Message queued to be sent again.".to_owned())));
                            reload();
                        });
                    };
                    let history = RwSignal::new(None::<Result<Vec<DeliveryAttempt>, String>>);
                    let message_id = m.message_id.clone();
                    let show = move |_| {
                        if history.get_untracked().is_some() {
                            history.set(None);
                            return;
                        }
                        let id = message_id.clone();
                        spawn_local(async move {
                            let found = dispatch::attempts(&id).await;
                            history.set(Some(found));
                        });
                    };
                    view! {
                        <span class=class title=title>{format!("{} {} ({} {}) ", m.instruction.as_str(), m.status.as_str(), m.attempts, if m.attempts == 1 { "try" } else { "tries" })}</span>
                        {(m.attempts > 0).then(|| view! { <button class="link attempts" title="Every attempt: time, status, latency, error" on:click=show>"attempts"</button>" " })}
                        {again.then(|| view! { <button class="link" title="Send again with the same webhook-id" on:click=resend>"Re-send"</button>" " })}
                        {move || history.get().map(|h| match h {
                            Ok(list) => view! {
                                <ol class="attempt-list">
                                    {list.into_iter().map(|a| view! {
                                        <li>{format!("{} · {} · {} ms{}", a.attempted_at.format("%d %b %H:%M:%S"),
                                            a.status_code.map_or_else(|| "no answer".to_owned(), |c| format!("HTTP {c}")),
                                            a.latency_ms,
                                            a.error.map(|e| format!(" · {e}")).unwrap_or_default())}</li>
                                    }).collect_view()}
                                </ol>
                            }.into_any(),
                            Err(e) => view! { <span class="error">{e}</span> }.into_any(),
                        })}
                    }
                }).collect_view()}
            </td>
            <td>{(operator && dispatch.status == DispatchStatus::Active).then(|| view! {
                <button on:click=cancel>"Cancel"</button>" "
                <button class="danger" on:click=stop>"Emergency stop"</button>
            })}</td>
        </tr>
    }
}

/// Zone, programme and (optionally) dispatch group pickers; the chosen ids land in the
/// signals given.
#[component]
fn Pickers(
    zone: RwSignal<String>,
    programme: RwSignal<String>,
    group: Option<RwSignal<String>>,
    prefix: &'static str,
) -> impl IntoView {
    let zones = LocalResource::new(assets::zones);
    let groups = LocalResource::new(move || {
        let zone = zone.get();
        async move {
            if zone.is_empty() {
                return Ok(Vec::new());
            }
            assets::dispatch_groups(&zone, None).await
        }
    });
    let zone_list = move || zones.get().and_then(Result::ok).unwrap_or_default();
    let programmes = move || {
        zone_list()
            .into_iter()
            .find(|z| z.id.as_str() == zone.get())
            .map(|z| z.programmes)
            .unwrap_or_default()
    };
    view! {
        <label>"Zone "<select id=format!("{prefix}-zone") on:change=move |ev| { zone.set(event_target_value(&ev)); programme.set(String::new()); if let Some(g) = group { g.set(String::new()); } }>
            <option value="" selected=move || zone.get().is_empty()>"Choose…"</option>
            {move || zone_list().into_iter().map(|z| { let id = z.id.to_string(); view! { <option value=id.clone() selected=move || zone.get() == id>{z.name}</option> } }).collect_view()}
        </select></label>" "
        <label>"Programme "<select id=format!("{prefix}-programme") on:change=move |ev| programme.set(event_target_value(&ev))>
            <option value="" selected=move || programme.get().is_empty()>"Choose…"</option>
            {move || programmes().into_iter().map(|p| { let id = p.id.to_string(); view! { <option value=id.clone() selected=move || programme.get() == id>{p.name}</option> } }).collect_view()}
        </select></label>" "
        {group.map(|group| view! {
            <label>"Dispatch group "<select id=format!("{prefix}-group") on:change=move |ev| group.set(event_target_value(&ev))>
                <option value="" selected=move || group.get().is_empty()>"Choose…"</option>
                {move || groups.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|g| { let id = g.id.to_string(); view! { <option value=id.clone() selected=move || group.get() == id>{g.name}</option> } }).collect_view()}
            </select></label>" "
        })}
    }
}

#[component]
fn NewDispatch(
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let zone = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let programme = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let kw = RwSignal::new(String::new());
    let window = RwSignal::new(String::new());
    let create = move |_| {
        let Ok(power) = kw.get_untracked().trim().parse::<f64>() else {
            message.set(Some(Err("kW must be a number".to_owned())));
            return;
        };
        let window_id = window.get_untracked();
        let input = DispatchInput {
            dispatch_group_id: group.get_untracked(),
            programme_id: programme.get_untracked(),
            start: start.get_untracked(),
            end: end.get_untracked(),
            power_change_kw: power,
            availability_window_id: Some(window_id).filter(|w| !w.trim().is_empty()),
        };
        spawn_local(async move {
            let result = dispatch::create(&input).await;
            message.set(Some(result.map(|()| "Dispatched.".to_owned())));
            reload();
        });
    };
    let input = |id: &'static str,
                 label: &'static str,
                 placeholder: &'static str,
                 value: RwSignal<String>| {
        view! {
            <label>{label}" "<input type="text" id=id placeholder=placeholder prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></label>" "
        }
    };
    view! {
        <section class="card">
            <h2>"New dispatch"</h2>
            <p><Pickers zone=zone programme=programme group=Some(group) prefix="new"/></p>
            <p>
                {input("new-start", "Start (UTC)", "2025-02-24T16:00:00Z", start)}
                {input("new-end", "End (UTC)", "2025-02-24T18:00:00Z", end)}
                {input("new-kw", "kW", "", kw)}
                {input("new-window", "Accepted window id", "none for Restore / Emergency Flex", window)}
                <button class="primary" id="new-dispatch" on:click=create>"Dispatch"</button>
            </p>
        </section>
    }
}

#[component]
fn FairAllocation(
    message: Message,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let zone = RwSignal::new(String::new());
    let programme = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let requirement = RwSignal::new(String::new());
    let proposal = RwSignal::new(None::<Allocation>);
    let propose = move |_| {
        let Ok(kw) = requirement.get_untracked().trim().parse::<f64>() else {
            message.set(Some(Err(
                "The requirement must be a number of kW".to_owned()
            )));
            return;
        };
        let (p, s, e) = (
            programme.get_untracked(),
            start.get_untracked(),
            end.get_untracked(),
        );
        spawn_local(async move {
            match dispatch::allocation(&p, &s, &e, kw).await {
                Ok(plan) => {
                    proposal.set(Some(plan));
                    message.set(None);
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let confirm = move |_| {
        let Some(plan) = proposal.get_untracked() else {
            return;
        };
        let lines: Vec<DispatchInput> = plan
            .lines
            .iter()
            .map(|line| DispatchInput {
                dispatch_group_id: line.dispatch_group_id.to_string(),
                programme_id: programme.get_untracked(),
                start: start.get_untracked(),
                end: end.get_untracked(),
                power_change_kw: line.allocated_kw,
                availability_window_id: Some(line.availability_window_id.to_string()),
            })
            .collect();
        spawn_local(async move {
            // All or none: a refused line leaves every group undispatched.
            let result = dispatch::create_all(&lines).await;
            message.set(Some(
                result.map(|_| format!("{} dispatches created.", plan.lines.len())),
            ));
            proposal.set(None);
            reload();
        });
    };
    let input = |label: &'static str, value: RwSignal<String>| {
        view! {
            <label>{label}" "<input type="text" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></label>" "
        }
    };
    view! {
        <section class="card">
            <h2>"Fair allocation"</h2>
            <p class="muted">"Spread a requirement across the groups accepted for the whole period so that the largest share is as small as possible."</p>
            <p><Pickers zone=zone programme=programme group=None prefix="allocation"/></p>
            <p>{input("Start (UTC)", start)}{input("End (UTC)", end)}{input("Requirement (kW)", requirement)}
                <button on:click=propose>"Propose"</button></p>
            {move || proposal.get().map(|plan| view! {
                <table class="grid" id="allocation">
                    <thead><tr><th>"Group"</th><th>"Accepted kW"</th><th>"Share kW"</th></tr></thead>
                    <tbody>{plan.lines.iter().map(|l| view! { <tr><td>{l.dispatch_group.clone()}</td><td class="num">{l.accepted_kw}</td><td class="num">{format!("{:.1}", l.allocated_kw)}</td></tr> }).collect_view()}</tbody>
                </table>
                <p>{format!("Allocated {:.1} of {:.1} kW; shortfall {:.1} kW.", plan.allocated_kw, plan.requirement_kw, plan.shortfall_kw)}" "
                    <button class="primary" on:click=confirm>"Confirm as dispatches"</button></p>
            })}
        </section>
    }
}
