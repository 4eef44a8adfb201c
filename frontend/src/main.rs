//! Openflex browser app: client-side rendered Leptos, talking to the server's GraphQL API.

mod api;
mod app;
mod pages;
mod passkeys;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
