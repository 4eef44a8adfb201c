//! API Testing › Dispatch Settings and Dispatch V2 Testing (guide §3.1).

use crate::api::graphql;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::json;
use shared::{
    DeliveryChannel, DispatchSettings, Instruction, NewSigningSecret, TestDispatchResult,
};

const SETTINGS: &str = "query S { dispatchSettings { endpointUrl delivery emailContacts secretHint secretCreatedAt
  recentAttempts { messageId instruction test url attemptedAt statusCode latencyMs error bodyExcerpt } } }";

#[derive(Deserialize, Clone)]
struct SettingsData {
    dispatch_settings: DispatchSettings,
}

#[derive(Deserialize, Clone)]
struct Rotated {
    rotate_signing_secret: NewSigningSecret,
}

#[derive(Deserialize, Clone)]
struct Sent {
    send_test_dispatch: TestDispatchResult,
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
pub fn DispatchSettingsPage() -> impl IntoView {
    let data = LocalResource::new(|| graphql::<SettingsData>(SETTINGS, json!({})));
    let url = RwSignal::new(String::new());
    let delivery = RwSignal::new("API".to_owned());
    let contacts = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        if let Some(Ok(d)) = data.get() {
            url.set(d.dispatch_settings.endpoint_url.clone().unwrap_or_default());
            delivery.set(d.dispatch_settings.delivery.as_str().to_uppercase());
            contacts.set(d.dispatch_settings.email_contacts.join(", "));
        }
    });
    let save = move |_| {
        spawn_local(async move {
            let endpoint = url.get_untracked();
            let result = graphql::<serde_json::Value>(
                "mutation($u: String, $d: DeliveryChannel!, $c: [String!]!) { updateDispatchSettings(endpointUrl: $u, delivery: $d, emailContacts: $c) { endpointUrl } }",
                json!({ "u": if endpoint.trim().is_empty() { None } else { Some(endpoint) }, "d": delivery.get_untracked(),
                    "c": contacts.get_untracked().split(',').map(str::trim).filter(|c| !c.is_empty()).collect::<Vec<_>>() }),
            )
            .await;
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
            match graphql::<Rotated>(
                "mutation { rotateSigningSecret { secret settings { endpointUrl delivery emailContacts secretHint
                   secretCreatedAt recentAttempts { messageId instruction test url attemptedAt
                   statusCode latencyMs error bodyExcerpt } } } }",
                json!({}),
            )
            .await
            {
                Ok(r) => {
                    fresh.set(Some(r.rotate_signing_secret.secret));
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
        <table class="form-table">
            <tr><th>"Participant endpoint base url"</th><td>
                <input type="url" id="endpoint-url" placeholder="https://fsp.example/openflex" prop:value=move || url.get()
                    on:input=move |ev| url.set(event_target_value(&ev))/>
            </td></tr>
            <tr><th>"Receive dispatches by"</th><td>
                <select id="delivery" on:change=move |ev| delivery.set(event_target_value(&ev))>
                    {DeliveryChannel::ALL.iter().map(|c| {
                        let code = c.as_str().to_uppercase();
                        let label = match c { DeliveryChannel::Api => "API (signed HTTP POST)", DeliveryChannel::Email => "E-mail to dispatch contacts" };
                        view! { <option value=code.clone() selected={let code = code.clone(); move || delivery.get() == code}>{label}</option> }
                    }).collect_view()}
                </select>
            </td></tr>
            <tr><th>"Dispatch contacts (e-mail)"</th><td>
                <input type="text" id="email-contacts" placeholder="control@fsp.example, …" prop:value=move || contacts.get()
                    on:input=move |ev| contacts.set(event_target_value(&ev))/>
            </td></tr>
            <tr><th>"Signing secret"</th><td>
                {move || data.get().and_then(|r| r.ok()).map(|d| match d.dispatch_settings.secret_hint {
                    Some(hint) => view! { <code id="secret-hint">{hint}</code>" created "{d.dispatch_settings.secret_created_at.map(when).unwrap_or_default()}" " }.into_any(),
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
            Some(Ok(d)) if d.dispatch_settings.recent_attempts.is_empty() => view! { <p class="muted">"Nothing has been sent yet."</p> }.into_any(),
            Some(Ok(d)) => view! {
                <table class="grid" id="endpoint-health">
                    <thead><tr><th>"Sent"</th><th>"Instruction"</th><th>"Result"</th><th>"Time"</th><th>"Message id"</th></tr></thead>
                    <tbody>
                        {d.dispatch_settings.recent_attempts.into_iter().map(|a| view! {
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
    let instruction = RwSignal::new("START".to_owned());
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
        sending.set(true);
        spawn_local(async move {
            let sent = graphql::<Sent>(
                "mutation($m: TestDispatchInput!) { sendTestDispatch(message: $m) { url parameters success outcome
                   attempt { messageId instruction test url attemptedAt statusCode latencyMs error bodyExcerpt } } }",
                json!({ "m": { "dispatchId": dispatch_id.get_untracked(), "instruction": instruction.get_untracked(),
                    "start": start.get_untracked(), "end": end.get_untracked(), "powerChangeKw": kw,
                    "meterableUnitIds": units.get_untracked() } }),
            )
            .await
            .map(|s| s.send_test_dispatch);
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
                <select id="test-instruction" on:change=move |ev| instruction.set(event_target_value(&ev))>
                    {Instruction::ALL.iter().map(|i| view! { <option value=i.as_str() selected=move || instruction.get() == i.as_str()>{i.as_str()}</option> }).collect_view()}
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
