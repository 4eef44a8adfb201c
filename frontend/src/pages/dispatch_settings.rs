//! API Testing › Dispatch Settings and Dispatch V2 Testing (guide §3.1).

use crate::api::dispatch_settings as api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{DeliveryChannel, Instruction, TestDispatchInput, TestDispatchResult};

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
pub fn DispatchSettingsPage() -> impl IntoView {
    let data = LocalResource::new(api::dispatch_settings);
    let url = RwSignal::new(String::new());
    let delivery = RwSignal::new(DeliveryChannel::Api);
    let contacts = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<Result<String, String>>);
    // The form takes the stored settings once: a reload (after saving or rotating the
    // secret) must not overwrite what the user is typing.
    let filled = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(d)) = data.get()
            && !filled.get_untracked()
        {
            filled.set(true);
            url.set(d.endpoint_url.clone().unwrap_or_default());
            delivery.set(d.delivery);
            contacts.set(d.email_contacts.join(", "));
        }
    });
    let save = move |_| {
        spawn_local(async move {
            let endpoint = url.get_untracked();
            let endpoint = Some(endpoint.as_str()).filter(|e| !e.trim().is_empty());
            let contacts: Vec<String> = contacts
                .get_untracked()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            let result = api::update(endpoint, delivery.get_untracked(), &contacts).await;
            if let Some(secret) = result.as_ref().ok().and_then(|s| s.new_secret.clone()) {
                fresh.set(Some(secret));
            }
            status.set(Some(result.map(|_| "Dispatch settings saved.".to_owned())));
            data.refetch();
        });
    };
    let rotate = move |_| {
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message("A new signing secret replaces the current one immediately: your endpoint must verify with the new one. Continue?").ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        spawn_local(async move {
            match api::rotate_signing_secret().await {
                Ok(rotated) => {
                    fresh.set(Some(rotated.secret));
                    status.set(None);
                }
                Err(e) => status.set(Some(Err(e))),
            }
            data.refetch();
        });
    };
    view! {
        <h1>"Dispatch Settings"</h1>
        <p>"Flexible Power sends dispatch signals to your system at "<code>"{base url}/dispatch"</code>
           ", signed as Standard Webhooks ("<code>"webhook-id"</code>", "<code>"webhook-timestamp"</code>", "<code>"webhook-signature"</code>"). "
           "Verify every message with your signing secret and treat a repeated "<code>"webhook-id"</code>" as already handled."</p>
        <p class="muted" id="secret-rule">"Saving your endpoint for the first time creates your signing secret, shown once below: every dispatch is signed with it, so none goes out unsigned. Create a new one at any time; the old one stops at once."</p>
        <table class="form-table">
            <tr><th>"Participant endpoint base url"</th><td>
                <input type="url" id="endpoint-url" placeholder="https://fsp.example/openflex" prop:value=move || url.get()
                    on:input=move |ev| url.set(event_target_value(&ev))/>
            </td></tr>
            <tr><th>"Receive dispatches by"</th><td>
                <select id="delivery" on:change=move |ev| {
                    if let Some(chosen) = DeliveryChannel::parse(&event_target_value(&ev)) { delivery.set(chosen) }
                }>
                    {move || {
                        // The operator decides which channels the company may use; one it
                        // has since withdrawn stays listed while it is still in use.
                        let permitted = data
                            .get()
                            .and_then(Result::ok)
                            .map_or_else(|| DeliveryChannel::ALL.to_vec(), |d| d.permitted_delivery);
                        DeliveryChannel::ALL.iter().copied()
                            .filter(|c| permitted.contains(c) || delivery.get_untracked() == *c)
                            .map(|c| {
                                let label = match c { DeliveryChannel::Api => "API (signed HTTP POST)", DeliveryChannel::Email => "E-mail to dispatch contacts" };
                                view! { <option value=c.as_str() selected=move || delivery.get() == c>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                {move || data.get().and_then(Result::ok).and_then(|d| {
                    (!d.permitted_delivery.contains(&d.delivery)).then(|| view! {
                        <p class="warning" id="delivery-withdrawn">"Your operator no longer permits this channel. Dispatches still come this way until you choose another and save."</p>
                    })
                })}
                {move || data.get().and_then(Result::ok).and_then(|d| {
                    (d.permitted_delivery.len() == 1).then(|| view! {
                        <p class="muted" id="delivery-permitted">"Your operator permits dispatches only "
                            {if d.permitted_delivery[0] == DeliveryChannel::Api { "by API" } else { "by e-mail" }}"."</p>
                    })
                })}
            </td></tr>
            <tr><th>"Dispatch contacts (e-mail)"</th><td>
                <input type="text" id="email-contacts" placeholder="control@fsp.example, …" prop:value=move || contacts.get()
                    on:input=move |ev| contacts.set(event_target_value(&ev))/>
            </td></tr>
            <tr><th>"Signing secret"</th><td>
                {move || data.get().and_then(|r| r.ok()).map(|d| match d.secret_hint {
                    Some(hint) => view! { <code id="secret-hint">{hint}</code>" created "{d.secret_created_at.map(when).unwrap_or_default()}" " }.into_any(),
                    None => view! { <span id="secret-hint">"none yet "</span> }.into_any(),
                })}
                <button id="rotate-secret" on:click=rotate>"Create a new signing secret"</button>
            </td></tr>
        </table>
        <button class="primary" id="save-dispatch-settings" on:click=save>"Save"</button>
        {move || fresh.get().map(|secret| view! {
            <div class="token-box">
                <p>"Your new signing secret (shown only once):"</p>
                <code id="new-secret">{secret}</code>
            </div>
        })}
        {move || match status.get() {
            Some(Ok(m)) => Some(view! { <p class="notice" id="dispatch-settings-status">{m}</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error" id="dispatch-settings-status">{e}</p> }.into_any()),
            None => None,
        }}
        <h2>"Endpoint health"</h2>
        {move || match data.get() {
            Some(Ok(d)) if d.recent_attempts.is_empty() => view! { <p class="muted">"Nothing has been sent yet."</p> }.into_any(),
            Some(Ok(d)) => view! {
                <table class="grid" id="endpoint-health">
                    <thead><tr><th>"Sent"</th><th>"Instruction"</th><th>"Result"</th><th>"Time"</th><th>"Message id"</th></tr></thead>
                    <tbody>
                        {d.recent_attempts.into_iter().map(|a| view! {
                            <tr>
                                <td>{when(a.attempted_at)}</td>
                                <td>{a.instruction}{if a.test { " (test)" } else { "" }}</td>
                                <td>{match (a.status_code, a.error) {
                                    (Some(s), _) => format!("HTTP {s}"),
                                    (None, Some(e)) => e,
                                    (None, None) => "no answer".to_owned(),
                                }}</td>
                                <td class="num">{format!("{} ms", a.latency_ms)}</td>
                                <td><code>{a.message_id}</code></td>
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

#[component]
pub fn DispatchTestingPage() -> impl IntoView {
    let dispatch_id = RwSignal::new("TEST-0001".to_owned());
    let instruction = RwSignal::new(Instruction::Start);
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let power = RwSignal::new("100".to_owned());
    let units = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<TestDispatchResult, String>>);
    let sending = RwSignal::new(false);
    let send = move |_| {
        let Ok(kw) = power.get_untracked().trim().parse::<f64>() else {
            result.set(Some(Err("Power change must be a number of kW".to_owned())));
            return;
        };
        let message = TestDispatchInput {
            dispatch_id: dispatch_id.get_untracked(),
            instruction: instruction.get_untracked(),
            start: start.get_untracked(),
            end: end.get_untracked(),
            power_change_kw: kw,
            meterable_unit_ids: units.get_untracked(),
        };
        sending.set(true);
        spawn_local(async move {
            let sent = api::send_test(&message).await;
            result.set(Some(sent));
            sending.set(false);
        });
    };
    let field = |label: &'static str,
                 id: &'static str,
                 placeholder: &'static str,
                 value: RwSignal<String>| {
        view! {
            <tr><th><label for=id>{label}</label></th><td>
                <input type="text" id=id placeholder=placeholder prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            </td></tr>
        }
    };
    view! {
        <h1>"Dispatch V2 Testing"</h1>
        <p>"Send a test message to the endpoint configured under Dispatch Settings, signed exactly as a real dispatch. Test messages carry "
           <code>"\"test\": true"</code>" and never touch real dispatches."</p>
        <table class="form-table">
            {field("Dispatch ID", "test-dispatch-id", "TEST-0001", dispatch_id)}
            <tr><th><label for="test-instruction">"Instruction"</label></th><td>
                <select id="test-instruction" on:change=move |ev| {
                    if let Some(chosen) = Instruction::parse(&event_target_value(&ev)) { instruction.set(chosen) }
                }>
                    {Instruction::ALL.iter().map(|&i| view! { <option value=i.as_str() selected=move || instruction.get() == i>{i.as_str()}</option> }).collect_view()}
                </select>
            </td></tr>
            {field("Start", "test-start", "2025-02-17T16:00:00Z", start)}
            {field("End", "test-end", "2025-02-17T18:00:00Z", end)}
            {field("Power change (kW)", "test-power", "100", power)}
            {field("Meterable Unit IDs", "test-units", "comma separated", units)}
        </table>
        <button class="primary" id="send-test" disabled=move || sending.get() on:click=send>"Send V2 Message"</button>
        {move || result.get().map(|r| match r {
            Ok(r) => view! {
                <pre class="code result-box" id="test-result" data-success=r.success.to_string()>
                    {format!("{}\n{}\n{}", r.url, r.parameters, r.outcome)}
                </pre>
            }.into_any(),
            Err(e) => view! { <p class="error" id="test-result">{e}</p> }.into_any(),
        })}
    }
}
