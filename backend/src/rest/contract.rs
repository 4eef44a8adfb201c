//! The half of the integration contract that runs the other way: the messages Openflex
//! posts to an FSP's `{base url}/dispatch`, as the OpenAPI 3.1 `webhooks` section. The
//! bodies are the `shared::webhooks` types (their schemas sit in `components`), with the
//! pinned snapshots as examples; the delivery rules stated here are the outbox's own
//! constants.

use crate::services::dispatch::STOP_GRACE;
use serde_json::{Value, json};

/// When each message is first sent and until when it is retried.
fn timing(kind: &str) -> String {
    let grace = STOP_GRACE.num_minutes();
    match kind {
        "dispatch.start" => "Sent the programme's START lead (15 minutes by default) before \
            the dispatch starts, or at once for a dispatch created later; retried until the \
            dispatch's `start`."
            .to_owned(),
        "dispatch.stop" => {
            format!("Sent at the dispatch's `end`; retried until {grace} minutes after it.")
        }
        "dispatch.cancel" => "Sent when the operator cancels a dispatch that has not started \
            (its START is withdrawn if not yet sent); retried until the dispatch's `start`."
            .to_owned(),
        "dispatch.emergency_stop" => format!(
            "Sent at once when the operator stops a running dispatch; retried for {grace} \
             minutes."
        ),
        _ => "Sent at the programme's week-ahead and day-ahead times to each company with \
            dispatches in the `period`; retried until the period starts."
            .to_owned(),
    }
}

/// The retry schedule in words: the first attempt at once, then the outbox's back-off.
fn retries() -> String {
    let seconds: Vec<String> = shared::webhooks::first_attempts_seconds()
        .iter()
        .map(i64::to_string)
        .collect();
    format!(
        "Attempts at {} s after the message is due, then every minute until its deadline; \
         a message not answered 2xx by then is marked missed for the operator to follow up.",
        seconds.join(", ")
    )
}

fn header(name: &str, description: &str, example: &str) -> Value {
    json!({
        "name": name,
        "in": "header",
        "required": true,
        "description": description,
        "schema": {"type": "string"},
        "example": example,
    })
}

/// The OpenAPI 3.1 `webhooks` object: one entry per message type.
pub fn webhooks() -> Value {
    let headers = vec![
        header(
            "webhook-id",
            "The message's id, the same as the body's `message_id` and the same on every \
             retry: a receiver that has already handled it answers 2xx and does nothing.",
            "msg_01JMB8Q5ZP3F4R7T9V1X3Z5B7D",
        ),
        header(
            "webhook-timestamp",
            "Unix seconds when this attempt was signed; refuse a message more than five \
             minutes from your clock.",
            "1740411900",
        ),
        header(
            "webhook-signature",
            "`v1,` then the base64 HMAC-SHA256, keyed with the signing secret (the base64 \
             after `whsec_`), of `{webhook-id}.{webhook-timestamp}.{body}`: compare it in \
             constant time before trusting the body (Standard Webhooks).",
            "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        ),
    ];
    let mut entries = serde_json::Map::new();
    for (kind, schema, example) in shared::webhooks::EXAMPLES {
        let example: Value = serde_json::from_str(example).unwrap_or(Value::Null);
        entries.insert(
            kind.to_owned(),
            json!({
                "post": {
                    "tags": ["webhooks"],
                    "operationId": format!("receive_{}", kind.replace('.', "_")),
                    "summary": format!("{} (`{kind}`)", example["instruction"].as_str().unwrap_or(kind)),
                    "description": format!(
                        "Posted to `{{base url}}/dispatch` (Dispatch Settings) as JSON, signed as \
                         Standard Webhooks with the company's signing secret; without a secret \
                         nothing can be signed and the message is missed. {} {} The same body \
                         (without `sent_at`) is streamed by the GraphQL subscription \
                         `dispatchMessages`. A Dispatch V2 Testing message is the same type with \
                         `\"test\": true`: verify and answer it, do not act on it.",
                        timing(kind),
                        retries(),
                    ),
                    "parameters": headers,
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {
                            "schema": {"$ref": format!("#/components/schemas/{schema}")},
                            "example": example,
                        }},
                    },
                    "responses": {
                        "2XX": {"description": "Received (answer within 10 s). The body of the answer is not read."},
                        "default": {"description": "Anything else, or no answer within 10 s: the message is sent again, with the same `webhook-id`, until its deadline."},
                    },
                    "security": [],
                }
            }),
        );
    }
    Value::Object(entries)
}
