//! Sign-in pages (guide §2.3–§2.5): password, authenticator enrolment, the code at every
//! later sign-in, and setting a password from an invitation link.

use crate::api::{accounts, go};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use shared::{
    ActivateRequest, CodeRequest, ForgotPasswordRequest, LoginRequest, NextStep, SignInProgress,
};

fn after_step(result: &SignInProgress) {
    match result.next {
        NextStep::TotpSetup => go("/totp-setup"),
        NextStep::SecondFactor => go("/verify"),
        NextStep::Done => go("/meterable-units"),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let notice = use_query_map().with_untracked(|q| q.get("notice"));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = LoginRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match accounts::login(&request).await {
                Ok(result) => after_step(&result),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            {notice.map(|n| view! { <p class="notice">{n}</p> })}
            <form on:submit=submit>
                <label>"E-mail"<input type="email" name="email" autocomplete="username" required
                    on:input=move |ev| email.set(event_target_value(&ev))/></label>
                <label>"Password"<input type="password" name="password" autocomplete="current-password" required
                    on:input=move |ev| password.set(event_target_value(&ev))/></label>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p><a href="/forgot-password">"Forgot your password"</a></p>
        </section>
    }
}

#[component]
pub fn TotpSetupPage() -> impl IntoView {
    let enrolment = LocalResource::new(accounts::totp_enrolment);
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = CodeRequest {
            code: code.get_untracked(),
        };
        spawn_local(async move {
            match accounts::confirm_totp(&request).await {
                Ok(result) => after_step(&result),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Set Up 2-Factor Authentication"</h1>
            {move || match enrolment.get() {
                Some(Ok(data)) => {
                    let (svg, secret) = (data.qr_svg, data.secret);
                    view! {
                        <p>"Please scan the QR code using Google Authenticator, Microsoft Authenticator, or a similar app:"</p>
                        <div class="qr" inner_html=svg></div>
                        <p>"If you have problems scanning the QR code, then you can manually enter this: "
                            <code id="totp-secret">{secret}</code></p>
                        <p class="muted">"The above codes are secret and must not be shared."</p>
                    }.into_any()
                }
                Some(Err(e)) => view! {
                    <p class="error">{e}</p>
                    <p><a href="/login">"Sign in again"</a></p>
                }.into_any(),
                None => view! { <p>"Loading…"</p> }.into_any(),
            }}
            <form on:submit=submit>
                <label>"Enter the 6 digit code from your Authenticator app to complete 2FA set up:"
                    <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required
                        on:input=move |ev| code.set(event_target_value(&ev))/></label>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <button type="submit" class="primary">"Verify"</button>
            </form>
        </section>
    }
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = CodeRequest {
            code: code.get_untracked(),
        };
        spawn_local(async move {
            match accounts::verify_totp(&request).await {
                Ok(result) => after_step(&result),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Two-factor authentication"</h1>
            <form on:submit=submit>
                <label>"Enter the code from your authenticator app:"
                    <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required
                        on:input=move |ev| code.set(event_target_value(&ev))/></label>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <button type="submit" class="primary">"Verify"</button>
            </form>
            <p>
                <button id="use-passkey" on:click=move |_| {
                    spawn_local(async move {
                        match crate::passkeys::sign_in().await {
                            Ok(result) => after_step(&result),
                            Err(e) => error.set(Some(e)),
                        }
                    });
                }>"Use a passkey instead"</button>
            </p>
            <p class="muted">"Lost your authenticator? Ask your operator to reset your two-factor authentication."</p>
        </section>
    }
}

#[component]
pub fn ActivatePage() -> impl IntoView {
    // The link carries its token in the fragment, which never reaches a server log or a
    // Referer header; older links had it in the query string.
    let from_fragment = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .and_then(|hash| {
            hash.trim_start_matches('#')
                .split('&')
                .find_map(|pair| pair.strip_prefix("token=").map(str::to_owned))
        });
    let token = from_fragment
        .or_else(|| use_query_map().with_untracked(|q| q.get("token")))
        .unwrap_or_default();
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if password.get_untracked() != confirm.get_untracked() {
            error.set(Some("The two passwords differ.".to_owned()));
            return;
        }
        let request = ActivateRequest {
            token: token.clone(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match accounts::activate(&request).await {
                Ok(_) => go("/login?notice=Your%20password%20is%20set.%20Sign%20in%20with%20it."),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Create your password"</h1>
            <p class="muted">"At least 12 characters. A passphrase of several words is easy to remember and hard to guess."</p>
            <form on:submit=submit>
                <label>"New password"<input type="password" name="password" autocomplete="new-password" required
                    on:input=move |ev| password.set(event_target_value(&ev))/></label>
                <label>"Repeat it"<input type="password" name="confirm" autocomplete="new-password" required
                    on:input=move |ev| confirm.set(event_target_value(&ev))/></label>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <button type="submit" class="primary">"Set password"</button>
            </form>
            <p><a href="/forgot-password">"Forgot your password"</a></p>
        </section>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = ForgotPasswordRequest {
            email: email.get_untracked(),
        };
        spawn_local(async move {
            let result = accounts::forgot_password(&request)
                .await
                .map(|answer| answer.message);
            message.set(Some(result));
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Forgot your password"</h1>
            <p class="muted">"We will e-mail you a link to choose a new password. You will still need your authenticator app to sign in."</p>
            <form on:submit=submit>
                <label>"E-mail"<input type="email" name="email" autocomplete="username" required
                    on:input=move |ev| email.set(event_target_value(&ev))/></label>
                {move || match message.get() {
                    Some(Ok(m)) => Some(view! { <p class="notice">{m}</p> }.into_any()),
                    Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
                    None => None,
                }}
                <button type="submit" class="primary">"Send link"</button>
            </form>
            <p><a href="/login">"Back to sign in"</a></p>
        </section>
    }
}
