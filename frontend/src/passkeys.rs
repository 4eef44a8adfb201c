//! Passkeys in the browser: `navigator.credentials.create` and `.get` around the server's
//! WebAuthn challenges.

use crate::api::accounts;
use shared::SignInProgress;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use webauthn_rs_proto::{PublicKeyCredential, RegisterPublicKeyCredential};

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "the browser refused the passkey request".to_owned())
}

fn credentials() -> Result<web_sys::CredentialsContainer, String> {
    Ok(web_sys::window()
        .ok_or("no browser window")?
        .navigator()
        .credentials())
}

/// Registers a new passkey for the signed-in user under `name`.
pub async fn register(name: String) -> Result<(), String> {
    let challenge = accounts::passkey_registration().await?;
    let options: web_sys::CredentialCreationOptions = challenge.into();
    let promise = credentials()?
        .create_with_options(&options)
        .map_err(js_error)?;
    let created = JsFuture::from(promise).await.map_err(js_error)?;
    let credential =
        RegisterPublicKeyCredential::from(created.unchecked_into::<web_sys::PublicKeyCredential>());
    accounts::register_passkey(&name, &credential)
        .await
        .map(|_| ())
}

/// The second sign-in step with a passkey instead of the code.
pub async fn sign_in() -> Result<SignInProgress, String> {
    let challenge = accounts::passkey_challenge().await?;
    let options: web_sys::CredentialRequestOptions = challenge.into();
    let promise = credentials()?
        .get_with_options(&options)
        .map_err(js_error)?;
    let asserted = JsFuture::from(promise).await.map_err(js_error)?;
    let credential =
        PublicKeyCredential::from(asserted.unchecked_into::<web_sys::PublicKeyCredential>());
    accounts::sign_in_with_passkey(&credential).await
}
