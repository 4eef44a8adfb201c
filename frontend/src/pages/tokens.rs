//! API Testing › My API Access Tokens (guide §3.1).

use crate::api::tokens::{api_token, create_api_token};
use leptos::prelude::*;
use leptos::task::spawn_local;

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let current = LocalResource::new(api_token);
    let fresh = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<Result<String, String>>);
    let create = move |_| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(
                    "Creating a new token revokes the old one immediately: any API integration using it will stop working. Create a new token?",
                )
                .ok()
            })
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        spawn_local(async move {
            match create_api_token().await {
                Ok(created) => {
                    fresh.set(Some(created.token));
                    status.set(None);
                }
                Err(e) => status.set(Some(Err(e))),
            }
            current.refetch();
        });
    };
    let copy = move |_| {
        if let (Some(token), Some(window)) = (fresh.get_untracked(), web_sys::window()) {
            let _ = window.navigator().clipboard().write_text(&token);
            status.set(Some(Ok("Copied to the clipboard.".to_owned())));
        }
    };
    view! {
        <h1>"My API Access Tokens"</h1>
        <p>"The token generated here is used by Openflex to authenticate API requests from your systems (" <code>"Authorization: Bearer …"</code>"). "
           "You can generate a new token by clicking on 'Create a new token', but the old one will be revoked immediately, so any existing API integration may break."</p>
        <p><strong>"API Tokens must be stored securely and not shared."</strong></p>
        {move || match current.get() {
            Some(Ok(Some(t))) => view! {
                <table class="form-table" id="current-token">
                    <tr><th>"Current token"</th><td><code>{t.hint}</code></td></tr>
                    <tr><th>"Created"</th><td>{when(t.created_at)}</td></tr>
                    <tr><th>"Last used"</th><td>{t.last_used_at.map(when).unwrap_or_else(|| "never".to_owned())}</td></tr>
                </table>
            }.into_any(),
            Some(Ok(None)) => view! { <p id="current-token">"Your company has no API token yet."</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
        {move || fresh.get().map(|token| view! {
            <div class="token-box">
                <p>"Your new token (shown only once):"</p>
                <code id="new-token">{token}</code>
                <button class="copy" title="Copy to clipboard" aria-label="Copy to clipboard" on:click=copy>"⧉"</button>
            </div>
        })}
        {move || match status.get() {
            Some(Ok(m)) => Some(view! { <p class="notice">{m}</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
            None => None,
        }}
        <button class="primary" id="create-token" on:click=create>"Create a new token"</button>
    }
}
