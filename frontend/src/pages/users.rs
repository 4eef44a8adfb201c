//! Users (operators and platform admins): invite, disable, reset two-factor
//! authentication (guide §2.2, §2.5), and the security audit log.

use crate::api::accounts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{NewUserInput, Role};

/// What the Users page can do to one user.
#[derive(Clone, Copy)]
enum UserAction {
    ResetSecondFactor,
    Disable,
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = LocalResource::new(accounts::users);
    let status = RwSignal::new(None::<Result<String, String>>);
    let act = move |action: UserAction, id: String| {
        spawn_local(async move {
            let result = match action {
                UserAction::ResetSecondFactor => accounts::reset_second_factor(&id)
                    .await
                    .map(|()| "Two-factor authentication reset; the user has been e-mailed."),
                UserAction::Disable => accounts::disable_user(&id)
                    .await
                    .map(|()| "User disabled; their sessions have ended."),
            };
            status.set(Some(result.map(str::to_owned)));
            users.refetch();
        });
    };

    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Participant);
    let organisation = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let organisation = organisation.get_untracked();
        let input = NewUserInput {
            email: email.get_untracked(),
            name: name.get_untracked(),
            role: role.get_untracked(),
            organisation: Some(organisation).filter(|o| !o.trim().is_empty()),
        };
        spawn_local(async move {
            let result = accounts::create_user(&input)
                .await
                .map(|()| "Invitation sent.".to_owned());
            status.set(Some(result));
            users.refetch();
        });
    };

    view! {
        <h1>"Users"</h1>
        <p><a href="/users/audit">"Security audit log"</a>" · "<a href="/dev/mailbox">"Mailbox (dev mode)"</a></p>
        {move || match status.get() {
            Some(Ok(m)) => Some(view! { <p class="notice">{m}</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
            None => None,
        }}
        {move || match users.get() {
            Some(Ok(list)) => view! {
                <table class="grid" id="users">
                    <thead><tr>
                        <th>"Name"</th><th>"Email"</th><th>"Organisation"</th><th>"Role"</th>
                        <th>"Status"</th><th>"2FA"</th><th></th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|u| {
                            let status = if u.disabled { "Disabled" } else if u.activated { "Active" } else { "Invited" };
                            let (reset_id, disable_id) = (u.id.to_string(), u.id.to_string());
                            let disabled = u.disabled;
                            let row_email = u.email.clone();
                            view! {
                                <tr data-email=row_email>
                                    <td>{u.name}</td><td>{u.email}</td>
                                    <td>{u.organisation.unwrap_or_default()}</td>
                                    <td>{u.role.label()}</td><td>{status}</td>
                                    <td>{if u.second_factor_enrolled { "Enrolled" } else { "Not set up" }}</td>
                                    <td>
                                        <button class="reset-2fa" on:click=move |_| act(
                                            UserAction::ResetSecondFactor, reset_id.clone())>
                                            "Reset 2FA"</button>
                                        " "
                                        <button class="disable" disabled=disabled on:click=move |_| act(
                                            UserAction::Disable, disable_id.clone())>
                                            "Disable"</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
        <section class="card narrow">
            <h2>"Invite a user"</h2>
            <form on:submit=create>
                <label>"Name"<input name="name" required on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"Email"<input type="email" name="email" required on:input=move |ev| email.set(event_target_value(&ev))/></label>
                <label>"Role"
                    <select name="role" on:change=move |ev| role.set(match event_target_value(&ev).as_str() {
                        "OPERATOR" => Role::Operator,
                        "PLATFORM_ADMIN" => Role::PlatformAdmin,
                        _ => Role::Participant,
                    })>
                        <option value="PARTICIPANT">{Role::Participant.label()}</option>
                        <option value="OPERATOR">{Role::Operator.label()}</option>
                        <option value="PLATFORM_ADMIN">{Role::PlatformAdmin.label()}</option>
                    </select>
                </label>
                <label>"Organisation (FSP company or operator)"
                    <input name="organisation" on:input=move |ev| organisation.set(event_target_value(&ev))/></label>
                <button type="submit" class="primary">"Send invitation"</button>
            </form>
        </section>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let log = LocalResource::new(|| accounts::audit_log(500));
    view! {
        <h1>"Security audit log"</h1>
        {move || match log.get() {
            Some(Ok(entries)) => view! {
                <table class="grid">
                    <thead><tr><th>"When (UTC)"</th><th>"Event"</th><th>"By"</th><th>"User"</th><th>"Detail"</th></tr></thead>
                    <tbody>
                        {entries.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                <td>{e.event}</td>
                                <td>{e.actor_email.unwrap_or_default()}</td>
                                <td>{e.subject_email.unwrap_or_default()}</td>
                                <td>{e.detail}</td>
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

/// Dev mode: the e-mail the platform kept, so invitations work without a mail server.
#[component]
pub fn MailboxPage() -> impl IntoView {
    let mail = LocalResource::new(accounts::dev_mailbox);
    view! {
        <h1>"Mailbox (dev mode)"</h1>
        <p class="muted">"E-mail the platform sent or, with no SMTP server configured, kept."</p>
        {move || match mail.get() {
            Some(Ok(messages)) => messages.into_iter().map(|m| view! {
                <article class="card">
                    <p><strong>{m.subject}</strong>" to "{m.to}" · "
                        {m.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}
                        {if m.sent_at.is_some() { " · sent" } else { " · kept (no SMTP server)" }}</p>
                    <pre class="mail">{m.text}</pre>
                </article>
            }).collect_view().into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading…"</p> }.into_any(),
        }}
    }
}
