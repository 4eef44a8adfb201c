//! Layout, top navigation and routes.

use crate::api::{SIGNED_OUT, accounts, go};
use crate::pages::availability::{AcceptanceDecisionsPage, CalendarPage};
use crate::pages::configuration::ConfigurationPage;
use crate::pages::dispatch::DispatchesPage;
use crate::pages::dispatch_settings::{DispatchSettingsPage, DispatchTestingPage};
use crate::pages::docs::{
    ChangelogPage, DevelopersPage, DocumentationPage, GraphqlDocsPage, ParticipantApiPage,
    ReadingsFormatsPage, ReceivingDispatchesPage, WebhooksPage,
};
use crate::pages::faq::FaqPage;
use crate::pages::meterable_units::MeterableUnitsPage;
use crate::pages::organisations::OrganisationsPage;
use crate::pages::readings::ReadingsPage;
use crate::pages::settlement::{
    EventReportPage, EventReportsPage, SampleReportsPage, StatementsPage,
};
use crate::pages::sign_in::{
    ActivatePage, ForgotPasswordPage, LoginPage, TotpSetupPage, VerifyPage,
};
use crate::pages::tokens::TokensPage;
use crate::pages::users::{AuditPage, MailboxPage, UsersPage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;
use shared::{EmailPreferences, Viewer};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <TopBar/>
            <main class="page">
                <Routes fallback=|| view! { <h1>"Page not found"</h1> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/meterable-units"/> }/>
                    <Route path=path!("/meterable-units") view=MeterableUnitsPage/>
                    <Route path=path!("/availability/calendar") view=CalendarPage/>
                    <Route path=path!("/availability/acceptance-decisions") view=AcceptanceDecisionsPage/>
                    <Route path=path!("/reports/event-reports") view=EventReportsPage/>
                    <Route path=path!("/reports/event-reports/:id") view=EventReportPage/>
                    <Route path=path!("/reports/statements") view=StatementsPage/>
                    <Route path=path!("/api-testing/dispatch-settings") view=|| view! {
                        <ApiTestingTabs/>
                        <DispatchSettingsPage/>
                    }/>
                    <Route path=path!("/api-testing/dispatch-v2-testing") view=|| view! {
                        <ApiTestingTabs/>
                        <DispatchTestingPage/>
                    }/>
                    <Route path=path!("/api-testing/readings") view=|| view! {
                        <ApiTestingTabs/>
                        <ReadingsPage/>
                    }/>
                    <Route path=path!("/api-testing/tokens") view=|| view! {
                        <ApiTestingTabs/>
                        <TokensPage/>
                    }/>
                    <Route path=path!("/api-testing/sample-reports") view=|| view! {
                        <ApiTestingTabs/>
                        <SampleReportsPage/>
                    }/>
                    <Route path=path!("/documentation") view=DocumentationPage/>
                    <Route path=path!("/documentation/participant-api") view=|| view! { <Redirect path="/developers/participant-api"/> }/>
                    <Route path=path!("/documentation/graphql") view=|| view! { <Redirect path="/developers/graphql"/> }/>
                    <Route path=path!("/faq") view=FaqPage/>
                    <Route path=path!("/developers") view=DevelopersPage/>
                    <Route path=path!("/developers/receiving-dispatches") view=ReceivingDispatchesPage/>
                    <Route path=path!("/developers/webhooks") view=WebhooksPage/>
                    <Route path=path!("/developers/participant-api") view=ParticipantApiPage/>
                    <Route path=path!("/developers/readings") view=ReadingsFormatsPage/>
                    <Route path=path!("/developers/graphql") view=GraphqlDocsPage/>
                    <Route path=path!("/developers/changelog") view=ChangelogPage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/totp-setup") view=TotpSetupPage/>
                    <Route path=path!("/verify") view=VerifyPage/>
                    <Route path=path!("/activate") view=ActivatePage/>
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage/>
                    <Route path=path!("/account") view=Account/>
                    <Route path=path!("/configuration") view=ConfigurationPage/>
                    <Route path=path!("/dispatches") view=DispatchesPage/>
                    <Route path=path!("/users") view=UsersPage/>
                    <Route path=path!("/organisations") view=OrganisationsPage/>
                    <Route path=path!("/users/audit") view=AuditPage/>
                    <Route path=path!("/dev/mailbox") view=MailboxPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let me = LocalResource::new(accounts::me);
    let location = use_location();
    // Every page but the sign-in ones, the developer portal and the FAQs needs a user.
    Effect::new(move |_| {
        let public = [
            "/login",
            "/totp-setup",
            "/verify",
            "/activate",
            "/forgot-password",
        ];
        let path = location.pathname.get();
        if let Some(Err(e)) = me.get()
            && e == SIGNED_OUT
            && !public.contains(&path.as_str())
            && !is_developer_portal(&path)
            && path != "/faq"
        {
            go("/login");
        }
    });
    let signed_in = move || me.get().is_some_and(|m| m.is_ok());
    let section = move |prefix: &'static str| {
        move || {
            if location.pathname.get().starts_with(prefix) {
                "nav-item active"
            } else {
                "nav-item"
            }
        }
    };
    view! {
        <header class="topbar">
            <A href="/meterable-units" attr:class="brand">"Openflex"</A>
            <nav class="nav">
                <Show when=signed_in fallback=move || view! {
                    <div class=section("/developers")><A href="/developers">"Developers"</A></div>
                    <div class=section("/faq")><A href="/faq">"FAQs"</A></div>
                }>
                <div class=section("/availability")>
                    <span class="nav-label">"Availability"</span>
                    <div class="menu">
                        <A href="/availability/calendar">"Calendar"</A>
                        <A href="/availability/acceptance-decisions">"Acceptance Decisions"</A>
                    </div>
                </div>
                <div class=section("/meterable-units")><A href="/meterable-units">"Meterable Units"</A></div>
                <div class=section("/dispatches")><A href="/dispatches">{move || {
                    let fsp = me
                        .get()
                        .and_then(Result::ok)
                        .is_some_and(|m| m.role == shared::Role::Participant);
                    if fsp { "Schedules" } else { "Dispatches" }
                }}</A></div>
                <div class=section("/reports")>
                    <span class="nav-label">"Reports"</span>
                    <div class="menu">
                        <A href="/reports/event-reports">"Event Reports"</A>
                        <A href="/reports/statements">"Invoices/Statements"</A>
                    </div>
                </div>
                <div class=section("/api-testing")><A href="/api-testing/dispatch-settings">"API Testing"</A></div>
                <div class=move || {
                    let path = location.pathname.get();
                    if path.starts_with("/documentation") || is_developer_portal(&path) { "nav-item active" } else { "nav-item" }
                }><A href="/documentation">"Documentation"</A></div>
                <div class=section("/faq")><A href="/faq">"FAQs"</A></div>
                </Show>
                {move || {
                    let manages = me
                        .get()
                        .and_then(Result::ok)
                        .is_some_and(|m| m.role != shared::Role::Participant);
                    manages.then(|| view! {
                        <div class=section("/configuration")><A href="/configuration">"Configuration"</A></div>
                        <div class=section("/users")><A href="/users">"Users"</A></div>
                        <div class=section("/organisations")><A href="/organisations">"Organisations"</A></div>
                    })
                }}
            </nav>
            <div class="user">
                {move || match me.get() {
                    Some(Ok(me)) => view! { <A href="/account" attr:class="user-name">{me.name}</A> }.into_any(),
                    Some(Err(_)) => view! { <a href="/login" class="user-name">"Sign in"</a> }.into_any(),
                    None => view! { <span class="user-name">"…"</span> }.into_any(),
                }}
            </div>
        </header>
    }
}

/// The developer portal's pages need no sign-in.
fn is_developer_portal(path: &str) -> bool {
    path == "/developers" || path.starts_with("/developers/")
}

#[component]
fn ApiTestingTabs() -> impl IntoView {
    view! {
        <nav class="tabs">
            <A href="/api-testing/dispatch-settings">"Dispatch Settings"</A>
            <A href="/api-testing/dispatch-v2-testing">"Dispatch V2 Testing"</A>
            <A href="/api-testing/readings">"Readings"</A>
            <A href="/api-testing/tokens">"My API Access Tokens"</A>
            <A href="/api-testing/sample-reports">"Sample Reports"</A>
        </nav>
    }
}

#[component]
fn Account() -> impl IntoView {
    let me = LocalResource::new(accounts::me);
    view! {
        <h1>"User Account"</h1>
        {move || match me.get() {
            Some(Ok(viewer)) => view! { <AccountForm viewer=viewer/> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
    }
}

#[component]
fn AccountForm(viewer: Viewer) -> impl IntoView {
    let monthly = RwSignal::new(viewer.preferences.monthly_invoices);
    let weekly = RwSignal::new(viewer.preferences.weekly_accepted_declarations);
    let daily = RwSignal::new(viewer.preferences.daily_schedules);
    let status = RwSignal::new(None::<Result<(), String>>);
    let save = move |_| {
        let preferences = EmailPreferences {
            monthly_invoices: monthly.get_untracked(),
            weekly_accepted_declarations: weekly.get_untracked(),
            daily_schedules: daily.get_untracked(),
        };
        spawn_local(async move {
            // The form already shows what was saved.
            let result = accounts::update_my_preferences(&preferences)
                .await
                .map(|_| ());
            status.set(Some(result));
        });
    };
    let row = |label: &'static str, id: &'static str, signal: RwSignal<bool>| {
        view! {
            <tr>
                <th>{label}</th>
                <td>
                    <label class="optin">
                        <input type="checkbox" id=id prop:checked=move || signal.get()
                            on:change=move |ev| signal.set(event_target_checked(&ev))/>
                        {move || if signal.get() { " Opted-In" } else { " Opted-Out" }}
                    </label>
                </td>
            </tr>
        }
    };
    view! {
        <section class="card">
            <table class="form-table">
                <tr><th>"Name"</th><td>{viewer.name.clone()}</td></tr>
                <tr><th>"Email"</th><td>{viewer.email.clone()}</td></tr>
                <tr><th>"Roles"</th><td>{viewer.role.label()}</td></tr>
                <tr><th>"Organisation"</th><td>{viewer.organisation.clone().unwrap_or_default()}</td></tr>
                {row("Monthly Invoices email", "pref-monthly", monthly)}
                {row("Weekly Accepted Declarations email", "pref-weekly", weekly)}
                {row("Daily Schedules email", "pref-daily", daily)}
            </table>
            {move || match status.get() {
                Some(Ok(())) => Some(view! { <p class="notice">"Saved."</p> }.into_any()),
                Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
                None => None,
            }}
            <button class="primary" id="save-preferences" on:click=save>"Save"</button>
            " "
            <button on:click=move |_| {
                spawn_local(async move {
                    let _ = accounts::logout().await;
                    go("/login");
                });
            }>"Sign out"</button>
        </section>
        <ChangePassword/>
        <Passkeys/>
    }
}

/// Changing the password: the current one, the new one twice, and a fresh authenticator
/// code (the server asks for it unless this session signed in within five minutes).
#[component]
fn ChangePassword() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Result<String, String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != confirm.get_untracked() {
            status.set(Some(Err("The two new passwords differ.".to_owned())));
            return;
        }
        let request = shared::PasswordChangeRequest {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
            code: Some(code.get_untracked()).filter(|c| !c.trim().is_empty()),
        };
        spawn_local(async move {
            let result = accounts::change_password(&request)
                .await
                .map(|()| "Password changed. Your other sessions were signed out.".to_owned());
            if result.is_ok() {
                for field in [current, new, confirm, code] {
                    field.set(String::new());
                }
            }
            status.set(Some(result));
        });
    };
    view! {
        <section class="card">
            <h2>"Change password"</h2>
            <form on:submit=submit id="change-password">
                <label>"Current password"
                    <input type="password" name="current-password" autocomplete="current-password" required
                        prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev))/></label>
                <label>"New password (at least 12 characters)"
                    <input type="password" name="new-password" autocomplete="new-password" required minlength="12" maxlength="128"
                        prop:value=move || new.get() on:input=move |ev| new.set(event_target_value(&ev))/></label>
                <label>"New password again"
                    <input type="password" name="confirm-password" autocomplete="new-password" required
                        prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev))/></label>
                <label>"Code from your authenticator app (needed if you signed in more than 5 minutes ago)"
                    <input name="password-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6"
                        prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/></label>
                {move || match status.get() {
                    Some(Ok(m)) => Some(view! { <p class="notice">{m}</p> }.into_any()),
                    Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
                    None => None,
                }}
                <button type="submit" class="primary" id="change-password-submit">"Change password"</button>
            </form>
        </section>
    }
}

/// The signed-in user's passkeys: add one, or remove one.
#[component]
fn Passkeys() -> impl IntoView {
    let keys = LocalResource::new(accounts::passkeys);
    let name = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Result<String, String>>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = name.get_untracked();
        let code = code.get_untracked();
        spawn_local(async move {
            // Adding a second factor needs a fresh one: confirm the code first if given.
            let confirmed = if code.trim().is_empty() {
                Ok(())
            } else {
                let request = shared::CodeRequest {
                    code: code.trim().to_owned(),
                };
                accounts::step_up(&request).await
            };
            let result = match confirmed {
                Ok(()) => crate::passkeys::register(name).await,
                Err(e) => Err(e),
            }
            .map(|()| "Passkey added.".to_owned());
            status.set(Some(result));
            keys.refetch();
        });
    };
    view! {
        <section class="card">
            <h2>"Passkeys"</h2>
            <p class="muted">"Sign in with a passkey instead of the code from your authenticator app."</p>
            {move || match keys.get() {
                Some(Ok(passkeys)) if passkeys.is_empty() => view! { <p>"No passkeys yet."</p> }.into_any(),
                Some(Ok(passkeys)) => view! {
                    <table class="grid" id="passkeys">
                        <thead><tr><th>"Name"</th><th>"Added"</th><th>"Last used"</th><th></th></tr></thead>
                        <tbody>
                            {passkeys.into_iter().map(|k| {
                                let id = k.id.to_string();
                                view! {
                                    <tr>
                                        <td>{k.name}</td>
                                        <td>{k.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                        <td>{k.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()}</td>
                                        <td><button on:click=move |_| {
                                            let id = id.clone();
                                            spawn_local(async move {
                                                let result = accounts::remove_passkey(&id)
                                                    .await
                                                    .map(|()| "Passkey removed.".to_owned());
                                                status.set(Some(result));
                                                keys.refetch();
                                            });
                                        }>"Remove"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                None => view! { <p>"Loading…"</p> }.into_any(),
            }}
            {move || match status.get() {
                Some(Ok(m)) => Some(view! { <p class="notice">{m}</p> }.into_any()),
                Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
                None => None,
            }}
            <form on:submit=add>
                <label>"Name for a new passkey"
                    <input name="passkey-name" required on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"Code from your authenticator app (needed if you signed in more than 5 minutes ago)"
                    <input name="passkey-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6"
                        on:input=move |ev| code.set(event_target_value(&ev))/></label>
                <button type="submit" class="primary" id="add-passkey">"Add a passkey"</button>
            </form>
        </section>
    }
}
