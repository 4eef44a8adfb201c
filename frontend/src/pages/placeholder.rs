//! Pages whose features have not been built yet say so plainly.

use leptos::prelude::*;

#[component]
pub fn Placeholder(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <h1>{title}</h1>
        <p class="notice">{what}" are not available in this version of Openflex yet."</p>
    }
}
