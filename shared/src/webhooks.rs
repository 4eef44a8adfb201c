//! The messages Openflex sends an FSP's system: the JSON body of every
//! `POST {base url}/dispatch` (signed as Standard Webhooks) and of every message the
//! `dispatchMessages` subscription streams. This is the contract an FSP's receiver is built
//! against: fields may be added, but none is renamed or removed without a new `version`.
//!
//! One type per message. A Dispatch V2 Testing message is the same type with `test: true`:
//! a receiver handles it exactly as the real one but must not act on it.

use crate::Instruction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Seconds between an unanswered attempt and the next, for the first attempts after the
/// one made when the message is due; after these, one attempt a minute until its deadline.
pub const RETRY_GAPS_SECONDS: [i64; 4] = [2, 5, 15, 30];

/// Minutes a STOP or EMERGENCY_STOP is retried after it is due.
pub const STOP_GRACE_MINUTES: i64 = 15;

/// When the attempts before the once-a-minute ones are made, in seconds after the
/// message is due: 0, 2, 7, 22, 52.
pub fn first_attempts_seconds() -> Vec<i64> {
    let mut at = 0;
    let mut times = vec![0];
    for gap in RETRY_GAPS_SECONDS {
        at += gap;
        times.push(at);
    }
    times
}

/// Times in messages: UTC, RFC 3339, to the second (`2025-02-24T16:00:00Z`).
mod seconds {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<DateTime<Utc>>::deserialize(d)
        }
    }
}

/// The message format's version. Always `"2"` (the guide's "V2" messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum Version {
    #[default]
    #[serde(rename = "2")]
    V2,
}

/// A zone or dispatch group as messages name it: its id and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Named {
    /// The zone's id (e.g. `isle-of-skye`) or the dispatch group's id.
    pub id: String,
    pub name: String,
}

/// What every dispatch message (START, STOP, CANCEL, EMERGENCY_STOP) says about its
/// dispatch, for building one.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchFields {
    pub message_id: String,
    pub test: bool,
    pub dispatch_id: String,
    pub zone: Named,
    pub programme: Option<String>,
    pub dispatch_group: Named,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub power_change_kw: f64,
    pub meterable_unit_ids: Vec<String>,
}

/// Declares one dispatch message type: its `type` value and the fields every dispatch
/// message carries.
macro_rules! dispatch_message {
    ($(#[$doc:meta])* $name:ident, $kind:ident = $type:literal, $instruction:ident) => {
        #[doc = concat!("The `type` of a ", stringify!($name), " message: always `\"", $type, "\"`.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        pub enum $kind {
            #[default]
            #[serde(rename = $type)]
            Only,
        }

        // By hand: the derive does not see a `rename` that a macro passes in.
        #[cfg(feature = "server")]
        impl utoipa::PartialSchema for $kind {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$type]))
                    .description(Some(concat!("Always `", $type, "`.")))
                    .into()
            }
        }

        #[cfg(feature = "server")]
        impl utoipa::ToSchema for $kind {}

        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
        pub struct $name {
            pub version: Version,
            #[serde(rename = "type")]
            pub kind: $kind,
            /// The same as the `webhook-id` header: a message delivered twice (a retry, or
            /// by webhook and subscription) has the same id; handle it once.
            pub message_id: String,
            /// When this attempt was sent; absent from the subscription's copy.
            #[serde(default, skip_serializing_if = "Option::is_none", with = "seconds::option")]
            pub sent_at: Option<DateTime<Utc>>,
            /// A Dispatch V2 Testing message: check it, answer it, do not act on it.
            #[serde(default)]
            pub test: bool,
            /// The guide's name for what the message asks.
            pub instruction: Instruction,
            pub dispatch_id: String,
            pub zone: Named,
            /// The programme dispatched (none in test messages).
            pub programme: Option<String>,
            pub dispatch_group: Named,
            /// When the change in output starts (UTC).
            #[serde(with = "seconds")]
            pub start: DateTime<Utc>,
            /// When it ends (UTC).
            #[serde(with = "seconds")]
            pub end: DateTime<Utc>,
            /// The change asked of the dispatch group, kW (more than zero; its direction is
            /// the group's).
            pub power_change_kw: f64,
            /// The dispatch group's meterable units, whose readings show the response.
            pub meterable_unit_ids: Vec<String>,
        }

        impl $name {
            pub fn new(f: DispatchFields) -> Self {
                Self {
                    version: Version::V2,
                    kind: $kind::Only,
                    message_id: f.message_id,
                    sent_at: None,
                    test: f.test,
                    instruction: Instruction::$instruction,
                    dispatch_id: f.dispatch_id,
                    zone: f.zone,
                    programme: f.programme,
                    dispatch_group: f.dispatch_group,
                    start: f.start,
                    end: f.end,
                    power_change_kw: f.power_change_kw,
                    meterable_unit_ids: f.meterable_unit_ids,
                }
            }
        }
    };
}

dispatch_message! {
    /// START (`dispatch.start`), sent `start_lead_minutes` (15 by default) before the
    /// dispatch starts: change output by `power_change_kw` from `start` to `end`.
    Start, StartType = "dispatch.start", Start
}

dispatch_message! {
    /// STOP (`dispatch.stop`), sent at the dispatch's end: return to normal operation.
    Stop, StopType = "dispatch.stop", Stop
}

dispatch_message! {
    /// CANCEL (`dispatch.cancel`): a dispatch called off before it started; do not start.
    Cancel, CancelType = "dispatch.cancel", Cancel
}

dispatch_message! {
    /// EMERGENCY_STOP (`dispatch.emergency_stop`): end a running dispatch now.
    EmergencyStop, EmergencyStopType = "dispatch.emergency_stop", EmergencyStop
}

/// The `type` of a Schedule message: always `"dispatch.schedule"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum ScheduleType {
    #[default]
    #[serde(rename = "dispatch.schedule")]
    Only,
}

/// The period a SCHEDULE covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Period {
    #[serde(with = "seconds")]
    pub start: DateTime<Utc>,
    #[serde(with = "seconds")]
    pub end: DateTime<Utc>,
}

/// One dispatch a SCHEDULE announces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ScheduledDispatch {
    pub dispatch_id: String,
    pub dispatch_group: Named,
    #[serde(with = "seconds")]
    pub start: DateTime<Utc>,
    #[serde(with = "seconds")]
    pub end: DateTime<Utc>,
    pub power_change_kw: f64,
    pub meterable_unit_ids: Vec<String>,
}

/// SCHEDULE (`dispatch.schedule`): the week-ahead or day-ahead notice of the dispatches in
/// a period. Each still gets its own START and STOP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Schedule {
    pub version: Version,
    #[serde(rename = "type")]
    pub kind: ScheduleType,
    /// The same as the `webhook-id` header.
    pub message_id: String,
    /// When this attempt was sent; absent from the subscription's copy.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "seconds::option"
    )]
    pub sent_at: Option<DateTime<Utc>>,
    /// A Dispatch V2 Testing message: check it, answer it, do not act on it.
    #[serde(default)]
    pub test: bool,
    /// Always SCHEDULE.
    pub instruction: Instruction,
    pub zone: Named,
    /// The programme dispatched (none in test messages).
    pub programme: Option<String>,
    pub period: Period,
    pub dispatches: Vec<ScheduledDispatch>,
}

impl Schedule {
    pub fn new(
        message_id: String,
        test: bool,
        zone: Named,
        programme: Option<String>,
        period: Period,
        dispatches: Vec<ScheduledDispatch>,
    ) -> Self {
        Self {
            version: Version::V2,
            kind: ScheduleType::Only,
            message_id,
            sent_at: None,
            test,
            instruction: Instruction::Schedule,
            zone,
            programme,
            period,
            dispatches,
        }
    }
}

/// Each message type as documented: its `type`, its Rust name (the schema's name) and an
/// example body (the pinned snapshot), in the order the documentation lists them.
pub const EXAMPLES: [(&str, &str, &str); 5] = [
    (
        "dispatch.start",
        "Start",
        include_str!("../fixtures/webhooks/start.json"),
    ),
    (
        "dispatch.stop",
        "Stop",
        include_str!("../fixtures/webhooks/stop.json"),
    ),
    (
        "dispatch.cancel",
        "Cancel",
        include_str!("../fixtures/webhooks/cancel.json"),
    ),
    (
        "dispatch.emergency_stop",
        "EmergencyStop",
        include_str!("../fixtures/webhooks/emergency_stop.json"),
    ),
    (
        "dispatch.schedule",
        "Schedule",
        include_str!("../fixtures/webhooks/schedule.json"),
    ),
];

/// Any message an FSP receives; its `type` tells which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Message {
    Start(Start),
    Stop(Stop),
    Cancel(Cancel),
    EmergencyStop(EmergencyStop),
    Schedule(Schedule),
}

impl Message {
    /// The dispatch message `instruction` asks for; none for SCHEDULE, which lists several.
    pub fn dispatch(instruction: Instruction, fields: DispatchFields) -> Option<Self> {
        Some(match instruction {
            Instruction::Start => Self::Start(Start::new(fields)),
            Instruction::Stop => Self::Stop(Stop::new(fields)),
            Instruction::Cancel => Self::Cancel(Cancel::new(fields)),
            Instruction::EmergencyStop => Self::EmergencyStop(EmergencyStop::new(fields)),
            Instruction::Schedule => return None,
        })
    }

    pub fn instruction(&self) -> Instruction {
        match self {
            Self::Start(_) => Instruction::Start,
            Self::Stop(_) => Instruction::Stop,
            Self::Cancel(_) => Instruction::Cancel,
            Self::EmergencyStop(_) => Instruction::EmergencyStop,
            Self::Schedule(_) => Instruction::Schedule,
        }
    }

    pub fn message_id(&self) -> &str {
        match self {
            Self::Start(m) => &m.message_id,
            Self::Stop(m) => &m.message_id,
            Self::Cancel(m) => &m.message_id,
            Self::EmergencyStop(m) => &m.message_id,
            Self::Schedule(m) => &m.message_id,
        }
    }

    /// The dispatch it is about; none for a SCHEDULE.
    pub fn dispatch_id(&self) -> Option<&str> {
        match self {
            Self::Start(m) => Some(&m.dispatch_id),
            Self::Stop(m) => Some(&m.dispatch_id),
            Self::Cancel(m) => Some(&m.dispatch_id),
            Self::EmergencyStop(m) => Some(&m.dispatch_id),
            Self::Schedule(_) => None,
        }
    }

    /// Stamps the time of one delivery attempt.
    pub fn sent(mut self, at: DateTime<Utc>) -> Self {
        match &mut self {
            Self::Start(m) => m.sent_at = Some(at),
            Self::Stop(m) => m.sent_at = Some(at),
            Self::Cancel(m) => m.sent_at = Some(at),
            Self::EmergencyStop(m) => m.sent_at = Some(at),
            Self::Schedule(m) => m.sent_at = Some(at),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.to_utc())
            .unwrap_or_default()
    }

    fn fields(test: bool) -> DispatchFields {
        DispatchFields {
            message_id: "msg_01JMB8Q5ZP3F4R7T9V1X3Z5B7D".to_owned(),
            test,
            dispatch_id: "DSP-7KQ2M9".to_owned(),
            zone: Named {
                id: "isle-of-skye".to_owned(),
                name: "Isle of Skye".to_owned(),
            },
            programme: (!test).then(|| "Sustain".to_owned()),
            dispatch_group: Named {
                id: "DG-4HX8R2".to_owned(),
                name: "Portree Batteries".to_owned(),
            },
            start: at("2025-02-24T16:00:00Z"),
            end: at("2025-02-24T18:00:00Z"),
            power_change_kw: 250.0,
            meterable_unit_ids: vec!["MU-9TQ3L6".to_owned(), "MU-2WP7N4".to_owned()],
        }
    }

    /// Each message as an FSP receives it (the first attempt, 15 minutes before a START's
    /// dispatch begins), by the name of its snapshot file.
    fn examples() -> Vec<(&'static str, Message)> {
        let sent = at("2025-02-24T15:45:00Z");
        let dispatch =
            |i: Instruction, test: bool| Message::dispatch(i, fields(test)).map(|m| m.sent(sent));
        let schedule = Message::Schedule(Schedule::new(
            "msg_01JMB8Q5ZP3F4R7T9V1X3Z5B7E".to_owned(),
            false,
            fields(false).zone,
            Some("Sustain".to_owned()),
            Period {
                start: at("2025-02-24T00:00:00Z"),
                end: at("2025-03-03T00:00:00Z"),
            },
            vec![ScheduledDispatch {
                dispatch_id: "DSP-7KQ2M9".to_owned(),
                dispatch_group: fields(false).dispatch_group,
                start: at("2025-02-24T16:00:00Z"),
                end: at("2025-02-24T18:00:00Z"),
                power_change_kw: 250.0,
                meterable_unit_ids: vec!["MU-9TQ3L6".to_owned(), "MU-2WP7N4".to_owned()],
            }],
        ))
        .sent(at("2025-02-20T17:00:00Z"));
        [
            ("start", dispatch(Instruction::Start, false)),
            ("stop", dispatch(Instruction::Stop, false)),
            ("cancel", dispatch(Instruction::Cancel, false)),
            (
                "emergency_stop",
                dispatch(Instruction::EmergencyStop, false),
            ),
            ("schedule", Some(schedule)),
            ("test_start", dispatch(Instruction::Start, true)),
        ]
        .into_iter()
        .filter_map(|(name, m)| m.map(|m| (name, m)))
        .collect()
    }

    /// The JSON of every message type is pinned in `shared/fixtures/webhooks/`: a change
    /// shows in review. After a deliberate one, `OPENFLEX_UPDATE_SNAPSHOTS=1 cargo test -p
    /// shared` rewrites the files (and the format's `version` may need to change).
    #[test]
    fn the_json_each_message_type_sends_is_pinned() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/webhooks");
        let update = std::env::var_os("OPENFLEX_UPDATE_SNAPSHOTS").is_some();
        let mut differ = Vec::new();
        for (name, message) in examples() {
            let json = serde_json::to_string_pretty(&message).unwrap_or_default() + "\n";
            let path = dir.join(format!("{name}.json"));
            if update {
                std::fs::create_dir_all(&dir).ok();
                std::fs::write(&path, &json).ok();
            }
            let pinned = std::fs::read_to_string(&path).unwrap_or_default();
            if pinned != json {
                differ.push(format!("{}:\n{json}", path.display()));
            }
            // What the FSP receives reads back as the same message, of the same type.
            let back: Option<Message> = serde_json::from_str(&pinned).ok();
            assert_eq!(back.as_ref(), Some(&message), "{name}");
        }
        assert!(
            differ.is_empty(),
            "messages differ from their snapshots: {differ:#?}"
        );
    }

    #[test]
    fn the_type_tells_the_messages_apart() {
        let start = serde_json::to_value(Message::dispatch(Instruction::Start, fields(false)))
            .unwrap_or_default();
        assert_eq!(start["type"], "dispatch.start");
        assert_eq!(start["version"], "2");
        assert_eq!(start["instruction"], "START");
        let mut as_stop = start.clone();
        as_stop["type"] = "dispatch.stop".into();
        let read: Option<Message> = serde_json::from_value(as_stop).ok();
        assert!(matches!(read, Some(Message::Stop(_))), "{read:?}");
        let mut unknown = start;
        unknown["type"] = "dispatch.dance".into();
        assert!(serde_json::from_value::<Message>(unknown).is_err());
        assert!(Message::dispatch(Instruction::Schedule, fields(false)).is_none());
    }
}
