//! The developer portal (`/developers`, no sign-in) and the in-app Documentation pages
//! that lead to it (guide §3.2): what an FSP's engineers need to build against Openflex
//! before anyone gives them an account. Everything shown comes from the product itself
//! (its OpenAPI document, its GraphQL schema, the example files it serves), so the pages
//! work on an offline control-room network and show nothing tenant-specific.

mod guides;
mod openapi;

pub use guides::{ChangelogPage, ReadingsFormatsPage, ReceivingDispatchesPage};
pub use openapi::{ParticipantApiPage, WebhooksPage};

use crate::api::docs;
use leptos::prelude::*;
use leptos_router::components::A;

/// The portal's sections, in reading order: (path, title, what it holds).
const SECTIONS: [(&str, &str, &str); 6] = [
    (
        "/developers/receiving-dispatches",
        "Receiving dispatches",
        "Set up your dispatch endpoint and signing secret, send yourself a test message, and check signatures (curl and openssl, Python, Node, Rust).",
    ),
    (
        "/developers/webhooks",
        "Dispatch messages",
        "Every message Openflex posts to your endpoint (START, STOP, CANCEL, EMERGENCY_STOP, schedules): headers, schemas, examples, retries and deadlines.",
    ),
    (
        "/developers/participant-api",
        "Participant API",
        "The REST API (V2) for FSP systems: every route with its parameters, schemas, examples and error codes.",
    ),
    (
        "/developers/readings",
        "Readings formats",
        "Per-minute kW and half-hourly kWh readings, as JSON or CSV, with example files to download.",
    ),
    (
        "/developers/graphql",
        "GraphQL API",
        "The same operations for integrators, with the full schema.",
    ),
    (
        "/developers/changelog",
        "Changelog",
        "What changed in the API and the dispatch messages, newest first.",
    ),
];

/// Markdown from the product's own documents, as HTML. Raw HTML in the source is shown
/// as text and links keep to web addresses, so a description can never run script.
pub fn markdown_html(source: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
    let safe = |url: CowStr<'_>| -> bool {
        let lower = url.to_ascii_lowercase();
        !lower.contains(':')
            || lower.starts_with("https:")
            || lower.starts_with("http:")
            || lower.starts_with("mailto:")
    };
    let events = Parser::new_ext(source, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe(dest_url.clone()) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::Borrowed("#"),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// A description rendered from markdown; `inline` drops the paragraph around a single line.
#[component]
pub fn Markdown(#[prop(into)] source: String, #[prop(optional)] inline: bool) -> impl IntoView {
    let html = markdown_html(&source);
    if inline {
        let trimmed = html.trim();
        let single = trimmed
            .strip_prefix("<p>")
            .and_then(|rest| rest.strip_suffix("</p>"))
            .filter(|inner| !inner.contains("<p>"))
            .map(str::to_owned);
        view! { <span class="markdown" inner_html=single.unwrap_or(html)></span> }.into_any()
    } else {
        view! { <div class="markdown" inner_html=html></div> }.into_any()
    }
}

/// The portal's own navigation, above each of its pages.
#[component]
fn DeveloperTabs() -> impl IntoView {
    view! {
        <nav class="tabs developer-tabs">
            <A href="/developers" exact=true>"Developers"</A>
            {SECTIONS.iter().map(|(path, title, _)| view! { <A href=*path>{*title}</A> }).collect_view()}
        </nav>
    }
}

/// Where a portal page sits.
#[component]
pub fn Breadcrumb(here: &'static str) -> impl IntoView {
    view! {
        <DeveloperTabs/>
        <p class="muted"><A href="/developers">"Developers"</A>" › "{here}</p>
    }
}

/// The portal's front page: how an FSP's system meets Openflex, and where each part is.
#[component]
pub fn DevelopersPage() -> impl IntoView {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    view! {
        <DeveloperTabs/>
        <h1>"Openflex for developers"</h1>
        <section class="card">
            <p>"Your system and Openflex meet in three places:"</p>
            <ol>
                <li><strong>"Dispatch messages"</strong>" — Openflex posts signed START, STOP, CANCEL, EMERGENCY_STOP and schedule messages to your endpoint; answer each with 2xx within 10 s."</li>
                <li><strong>"Meter readings"</strong>" — your system sends per-minute (kW) or half-hourly (kWh) readings for each meterable unit, so the operator can settle each dispatch."</li>
                <li><strong>"Everything else"</strong>" — your units, availability, dispatches, event reports and statements, read over the Participant API (REST) or GraphQL."</li>
            </ol>
            <p>"This deployment's API base URL is "<code id="api-base">{format!("{origin}/api/v2")}</code>
               "; GraphQL is "<code>{format!("{origin}/graphql")}</code>". Both take "<code>"Authorization: Bearer oflx_…"</code>
               ": an API token your company's users create under API Testing › My API Access Tokens once the operator has invited them."</p>
            <p>"The machine-readable contract: "
               <a href="/api/v2/openapi.json" rel="external" download="openflex-openapi.json">"openapi.json"</a>" (OpenAPI 3.1, with the dispatch messages as "<code>"webhooks"</code>") and "
               <a href="/graphql/schema.graphql" rel="external" download="openflex.graphql">"schema.graphql"</a>"."</p>
        </section>
        <section class="card">
            <h2>"Sections"</h2>
            <ul class="doc-index">
                {SECTIONS.iter().map(|(path, title, about)| view! {
                    <li><A href=*path>{*title}</A>" — "{*about}</li>
                }).collect_view()}
            </ul>
        </section>
        <NotPermitted/>
    }
}

/// The in-app Documentation page: the same content as the portal.
#[component]
pub fn DocumentationPage() -> impl IntoView {
    view! {
        <h1>"Documentation"</h1>
        <section class="card">
            <h2>"API documentation"</h2>
            <p>"The developer portal holds the whole integration contract; it needs no sign-in, so your engineers can read it before they have an account."</p>
            <ul class="doc-index">
                <li><A href="/developers">"Developer portal"</A></li>
                {SECTIONS.iter().map(|(path, title, about)| view! {
                    <li><A href=*path>{*title}</A>" — "{*about}</li>
                }).collect_view()}
            </ul>
        </section>
        <NotPermitted/>
    }
}

/// The actions the operator performs on an FSP's behalf.
#[component]
fn NotPermitted() -> impl IntoView {
    view! {
        <section class="card" id="not-permitted">
            <h2>"Not permitted to participants"</h2>
            <p>"The API supports most features of the portal. These actions are performed by the operator on the FSP's behalf; "
               "the APIs refuse them to participants (REST 403, GraphQL FORBIDDEN):"</p>
            <ul>
                {shared::OPERATOR_ONLY_ACTIONS.iter().map(|a| view! { <li>{*a}</li> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn GraphqlDocsPage() -> impl IntoView {
    let sdl = LocalResource::new(docs::graphql_schema);
    view! {
        <Breadcrumb here="GraphQL API"/>
        <h1>"GraphQL API"</h1>
        <section class="card">
            <p class="prose">"POST one operation as JSON ("<code>"Content-Type: application/json"</code>") to "<code>"/graphql"</code>
               ", with "<code>"Authorization: Bearer oflx_…"</code>" or from a signed-in browser. Batches, GET queries and other content types are refused. "
               "Errors carry "<code>"extensions.code"</code>", the same codes as the Participant API, and, for refused input, each field (camelCase, as in the schema; a CSV column as the file names it) with its row."</p>
            <table class="grid" id="error-codes">
                <thead><tr><th>"Code"</th><th>"When"</th></tr></thead>
                <tbody>
                    {shared::ERROR_CODES.iter().map(|(code, meaning)| view! { <tr><td><code>{*code}</code></td><td>{*meaning}</td></tr> }).collect_view()}
                </tbody>
            </table>
            <p><a href="/graphql" rel="external" id="graphql-explorer">"Open the GraphQL explorer"</a>
               " (development deployments; production keeps introspection off, so use the schema below) · "
               <a href="/graphql/schema.graphql" rel="external" download="openflex.graphql">"Download the schema"</a></p>
        </section>
        <NotPermitted/>
        <h2>"Schema (SDL)"</h2>
        {move || match sdl.get() {
            Some(Ok(text)) => view! { <pre class="code" id="graphql-sdl">{text}</pre> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            None => view! { <p>"Loading the schema…"</p> }.into_any(),
        }}
    }
}
