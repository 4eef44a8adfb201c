//! API Testing › Dispatch Settings and Dispatch V2 Testing: the operations in
//! `frontend/graphql/dispatch_settings/`.

use shared::{
    DeliveryChannel, DispatchSettings, NewSigningSecret, TestDispatchInput, TestDispatchResult,
};

operation! {
    /// The company's dispatch settings and recent delivery attempts.
    pub fn dispatch_settings() -> DispatchSettings
        = include_str!("../../graphql/dispatch_settings/DispatchSettings.graphql")
}

operation! {
    /// Saves where and how the company receives dispatches; the first endpoint saved also
    /// gets the signing secret (in `new_secret`, shown once).
    pub fn update(endpoint_url: Option<&str>, delivery: DeliveryChannel, email_contacts: &[String]) -> DispatchSettings
        = include_str!("../../graphql/dispatch_settings/UpdateDispatchSettings.graphql")
}

operation! {
    /// A new signing secret, shown once.
    pub fn rotate_signing_secret() -> NewSigningSecret
        = include_str!("../../graphql/dispatch_settings/RotateSigningSecret.graphql")
}

operation! {
    /// Sends a signed test message to the company's endpoint.
    pub fn send_test(message: &TestDispatchInput) -> TestDispatchResult
        = include_str!("../../graphql/dispatch_settings/SendTestDispatch.graphql")
}
