//! FAQs and Contact (guide §4): the guide's questions, and the support contact of each
//! operator the signed-in user deals with. The questions need no sign-in; the contacts are
//! shown to signed-in users only, and operators set their own here.

use crate::api::organisations::{set_support_contact, support_contacts};
use crate::pages::docs::Markdown;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn FaqPage() -> impl IntoView {
    let contacts = LocalResource::new(support_contacts);
    view! {
        <h1>"FAQs"</h1>
        <section class="card" id="faq">
            <Markdown source=include_str!("../../help/faq.md")/>
        </section>
        <section class="card" id="contact">
            <h2>"Contact"</h2>
            {move || match contacts.get() {
                Some(Ok(list)) if list.is_empty() => view! { <p>"No operator contracts your company yet."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="contacts">
                        {list.into_iter().map(|c| {
                            let who = c.name.unwrap_or_else(|| "Support".to_owned());
                            view! {
                                <li>{c.operator}" — "{who}" — "
                                    {match c.email {
                                        Some(email) => view! { <a href=format!("mailto:{email}") rel="external">{email.clone()}</a> }.into_any(),
                                        None => view! { <span class="muted">"no address set yet"</span> }.into_any(),
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Some(Err(_)) => view! { <p><a href="/login">"Sign in"</a>" to see your operator's support contact."</p> }.into_any(),
                None => view! { <p>"Loading…"</p> }.into_any(),
            }}
        </section>
        <OwnContact reload=move || contacts.refetch()/>
    }
}

/// An operator's own support contact, for its users to set.
#[component]
fn OwnContact(reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let me = LocalResource::new(crate::api::accounts::me);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Result<String, String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            let result = set_support_contact(&name.get_untracked(), &email.get_untracked())
                .await
                .map(|()| "Support contact saved.".to_owned());
            if result.is_ok() {
                reload();
            }
            status.set(Some(result));
        });
    };
    move || {
        let operator = me
            .get()
            .and_then(Result::ok)
            .is_some_and(|m| m.role == shared::Role::Operator);
        operator.then(|| view! {
            <section class="card narrow">
                <h2>"Your support contact"</h2>
                <p class="muted">"Shown to the users of the FSP companies you contract."</p>
                <form on:submit=save id="support-contact">
                    <label>"Team name"<input name="support-name" required on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <label>"E-mail address"<input name="support-email" type="email" required on:input=move |ev| email.set(event_target_value(&ev))/></label>
                    {move || match status.get() {
                        Some(Ok(m)) => Some(view! { <p class="notice">{m}</p> }.into_any()),
                        Some(Err(e)) => Some(view! { <p class="error">{e}</p> }.into_any()),
                        None => None,
                    }}
                    <button type="submit" class="primary">"Save contact"</button>
                </form>
            </section>
        })
    }
}
