//! Checks an Openflex dispatch message in Rust, in whichever HTTP server you use.
//!
//!     cargo add standardwebhooks serde_json http
//!
//! Call it with the raw body bytes, exactly as received, and the request's headers; act
//! on the message only when it returns `Ok`, and answer 2xx within 10 s.

use http::HeaderMap;

/// The message, if its `webhook-signature` was made with your signing secret
/// (`whsec_…`) over this `webhook-id`, `webhook-timestamp` and body, and the timestamp is
/// within five minutes of your clock.
pub fn verify_dispatch(
    signing_secret: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, String> {
    let webhook = standardwebhooks::Webhook::new(signing_secret)
        .map_err(|e| format!("the signing secret: {e}"))?;
    webhook
        .verify(body, headers)
        .map_err(|e| format!("refused: {e}"))?;
    serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))
}
