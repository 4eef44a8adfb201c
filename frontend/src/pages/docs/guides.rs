//! The portal's guides: receiving dispatches, the readings formats and the changelog. The
//! code shown is the files the server offers for download (`/downloads/…`), included
//! here byte for byte, and the API tests run those same files against a running server.

use super::{Breadcrumb, Markdown};
use leptos::prelude::*;
use leptos_router::components::A;

/// A file from `frontend/developers/downloads`, shown and offered for download.
struct Example {
    file: &'static str,
    title: &'static str,
    text: &'static str,
}

macro_rules! example {
    ($file:literal, $title:literal) => {
        Example {
            file: $file,
            title: $title,
            text: include_str!(concat!("../../../developers/downloads/", $file)),
        }
    };
}

const PYTHON: Example = example!("receive_dispatches.py", "Python (standardwebhooks)");
const NODE: Example = example!("receive_dispatches.js", "Node.js (standardwebhooks)");
const RUST: Example = example!("verify_dispatch.rs", "Rust (standardwebhooks)");
const OPENSSL: Example = example!("verify-signature.sh", "curl and openssl");
const SEND_TEST: Example = example!("send-test-dispatch.sh", "Send a test message (curl)");
const UPLOAD: Example = example!("upload-readings.sh", "Upload a readings file (curl)");
const PER_MINUTE: Example = example!("readings-per-minute.csv", "Per-minute readings (kW)");
const HALF_HOURLY: Example = example!("readings-half-hourly.csv", "Half-hourly readings (kWh)");

#[component]
fn Code(example: Example) -> impl IntoView {
    let id = format!("example-{}", example.file.replace(['.', '_'], "-"));
    let href = format!("/downloads/{}", example.file);
    view! {
        <section class="card doc-example" id=id>
            <h3>{example.title}" · "<a href=href rel="external" download=example.file><code>{example.file}</code></a></h3>
            <pre class="code">{example.text}</pre>
        </section>
    }
}

#[component]
pub fn ReceivingDispatchesPage() -> impl IntoView {
    let retries = shared::webhooks::first_attempts_seconds()
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <Breadcrumb here="Receiving dispatches"/>
        <h1>"Receiving dispatches"</h1>
        <section class="card" id="fsp-simulator">
            <h2>"Start with the FSP simulator"</h2>
            <Markdown source=include_str!("../../../developers/receiving-dispatches/simulator.md")/>
        </section>
        <section class="card">
            <h2>"1. Run a receiver"</h2>
            <Markdown source=include_str!("../../../developers/receiving-dispatches/receiver.md")/>
        </section>
        <section class="card">
            <h2>"2. Save your endpoint and keep the signing secret"</h2>
            <Markdown source=include_str!("../../../developers/receiving-dispatches/endpoint.md")/>
        </section>
        <section class="card">
            <h2>"3. Send yourself a test message"</h2>
            <Markdown source=include_str!("../../../developers/receiving-dispatches/test-message.md")/>
        </section>
        <Code example=SEND_TEST/>
        <section class="card">
            <h2>"4. Check every signature"</h2>
            <Markdown source=include_str!("../../../developers/receiving-dispatches/signatures.md")/>
        </section>
        <Code example=PYTHON/>
        <Code example=NODE/>
        <Code example=RUST/>
        <Code example=OPENSSL/>
        <section class="card">
            <h2>"5. Answer at once, act once"</h2>
            <p>"Answer 2xx within 10 s and do the work afterwards. Anything else, or no answer, and Openflex sends the message again with the same "
               <code>"webhook-id"</code>": at "{retries}" s after it is due, then every minute until its deadline ("
               <A href="/developers/webhooks">"each message's deadline"</A>"). A message not answered by then is marked missed, and the operator follows it up."</p>
            <p>"So the same message can arrive more than once: keep the "<code>"webhook-id"</code>"s you have handled (in your database, since a retry may come after a restart) and answer a repeat with 2xx without acting on it again, as the examples do."</p>
        </section>
    }
}

#[component]
pub fn ReadingsFormatsPage() -> impl IntoView {
    let limit = shared::MAX_READINGS_PER_REQUEST;
    view! {
        <Breadcrumb here="Readings formats"/>
        <h1>"Readings formats"</h1>
        <section class="card">
            <Markdown source=include_str!("../../../developers/readings.md")/>
            <p>"At most "{limit}" readings per request. Send a file with the script below, or post the same rows as JSON to "
               <A href="/developers/participant-api">"POST /api/v2/readings"</A>"."</p>
        </section>
        <Code example=PER_MINUTE/>
        <Code example=HALF_HOURLY/>
        <Code example=UPLOAD/>
    }
}

#[component]
pub fn ChangelogPage() -> impl IntoView {
    view! {
        <Breadcrumb here="Changelog"/>
        <section class="card" id="changelog">
            <Markdown source=include_str!("../../../developers/changelog.md")/>
        </section>
    }
}
