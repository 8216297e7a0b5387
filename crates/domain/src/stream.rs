//! Stream names in the audit log, typed. Every event-sourced record (an aggregate) lives in
//! one stream `kind/key`: `incident/{uuid}`, `crime/{uuid}`, `person/{uuid}`,
//! `unit/{uuid}`, `diary/{area}/{date}/{time}`, `user/{name}`, `referral/incident/{uuid}/{uuid}`,
//! `task/crime/{uuid}/{uuid}`, `message/team/{code}/{uuid}`. Names are built and split here
//! only, so a new kind of record is one more variant, not one more `format!` and
//! `strip_prefix` in each place that reads the log.

use crate::text::Invalid;
use std::fmt;

/// The kinds of record kept as event streams.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum StreamKind {
    Incident,
    Crime,
    Person,
    Vehicle,
    Location,
    Property,
    Unit,
    Diary,
    User,
    /// A safeguarding referral (`referral/{incident|crime}/{uuid}/{uuid}`).
    Referral,
    /// A task (`task/{incident|crime}/{uuid}/{uuid}`).
    Task,
    /// A message (`message/{person|team}/{name}/{uuid}`).
    Message,
    /// A team's members (`team/{CODE}`).
    Team,
    /// A partner incident or a flagged partner message (`partner/{tracking id}`,
    /// `partner/flagged/{uuid}`).
    Partner,
}

impl StreamKind {
    pub const ALL: [StreamKind; 14] = [
        Self::Incident,
        Self::Crime,
        Self::Person,
        Self::Vehicle,
        Self::Location,
        Self::Property,
        Self::Unit,
        Self::Diary,
        Self::User,
        Self::Referral,
        Self::Task,
        Self::Message,
        Self::Team,
        Self::Partner,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record's stream: its kind and its key within the kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId {
    kind: StreamKind,
    key: String,
}

impl StreamId {
    /// A stream of `kind` keyed by `key` (a UUID, a username, a diary slot's `area/date/time`).
    pub fn new(kind: StreamKind, key: impl fmt::Display) -> Self {
        Self {
            kind,
            key: key.to_string(),
        }
    }

    /// Read a stored stream name. Streams that hold no record (a consultation of a list, such
    /// as `units` or `gazetteer`) are not record streams and are refused.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let refused = || Invalid::new("stream", format!("'{raw}' is not a record's stream"));
        let (kind, key) = raw.split_once('/').ok_or_else(refused)?;
        let kind = StreamKind::parse(kind).ok_or_else(refused)?;
        if key.is_empty() {
            return Err(refused());
        }
        Ok(Self {
            kind,
            key: key.to_owned(),
        })
    }

    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key read as a UUID, for the kinds keyed by one.
    pub fn uuid(&self) -> Option<uuid::Uuid> {
        self.key.parse().ok()
    }

    /// The prefix every stream of `kind` whose key starts with `key_prefix` begins with, for
    /// listing streams (`diary/LS8/2026-11-24/`).
    pub fn prefix(kind: StreamKind, key_prefix: impl fmt::Display) -> String {
        format!("{}/{key_prefix}", kind.as_str())
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.key)
    }
}

impl From<StreamId> for String {
    fn from(id: StreamId) -> Self {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn record_streams_parse_and_list_streams_do_not() {
        let id = StreamId::parse("diary/LS8/2026-11-24/10:00").unwrap();
        assert_eq!(id.kind(), StreamKind::Diary);
        assert_eq!(id.key(), "LS8/2026-11-24/10:00");
        assert_eq!(id.uuid(), None);
        for raw in ["units", "gazetteer", "incident/", "planet/1", ""] {
            assert!(StreamId::parse(raw).is_err(), "{raw}");
        }
        assert_eq!(
            StreamId::prefix(StreamKind::Diary, "LS8/2026-11-24/"),
            "diary/LS8/2026-11-24/"
        );
    }

    proptest! {
        /// What is written is read back as the same stream, for every kind.
        #[test]
        fn names_round_trip(kind in 0usize..StreamKind::ALL.len(), key in "[A-Za-z0-9:/_.-]{1,40}") {
            let id = StreamId::new(StreamKind::ALL[kind], &key);
            let read = StreamId::parse(&id.to_string()).unwrap();
            prop_assert_eq!(read.kind(), StreamKind::ALL[kind]);
            prop_assert_eq!(read.key(), key.as_str());
            prop_assert_eq!(read, id);
        }
    }
}
