//! Generation of public ids.

use rand::Rng;
use rand::distr::Alphanumeric;
use shared::{PUBLIC_ID_LEN, PublicId};

/// A new dispatch message id: the body's `message_id` and every attempt's `webhook-id`.
pub fn new_message_id() -> String {
    format!("msg_{}", new_public_id())
}

/// A new random public id: 20 alphanumerics (~119 bits) from the OS-seeded CSPRNG.
pub fn new_public_id() -> PublicId {
    let s: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(PUBLIC_ID_LEN)
        .map(char::from)
        .collect();
    // Alphanumeric only yields valid characters, so this cannot fail.
    PublicId::parse(&s).unwrap_or_else(|_| unreachable!("alphanumeric id of the right length"))
}
