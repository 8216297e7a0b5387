//! Messages to a person or a team: text, from whom, to whom, when sent and when read. Each
//! message is a stream of its own keyed by its recipient,
//! `message/{person/<username>|team/<code>}/{uuid}`, so a recipient's inbox is listed by the
//! stream prefix ([`Recipient::prefix`]) and the console shows a new one live when its stream
//! is written (the application's change feed).
//!
//! A message to a team is read by each member separately: [`Message::read_by`] says whether
//! one person has read it, and the first reading is kept per person.

use super::BelongsTo;
use crate::aggregate::{Aggregate, Decide, FoldError, Folding, Stamped};
use crate::investigation::{Refusal, refuse_field};
use crate::limits;
use crate::roles::{Permission, Roles};
use crate::stream::{StreamId, StreamKind};
use crate::text::{Code, Invalid, required_text};
use crate::user::Username;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Whom a message is for: `{"person": "<username>"}` or `{"team": "<code>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Person(Username),
    Team(Code),
}

impl Recipient {
    pub fn key(&self) -> String {
        match self {
            Self::Person(who) => format!("person/{who}"),
            Self::Team(team) => format!("team/{team}"),
        }
    }

    fn parse_key(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "to",
                format!("'{raw}' is not person/<username> or team/<code>"),
            )
        };
        match raw.split_once('/').ok_or_else(bad)? {
            ("person", who) => Ok(Self::Person(Username::parse(who)?)),
            ("team", team) => Ok(Self::Team(Code::parse("to", team)?)),
            _ => Err(bad()),
        }
    }

    /// The prefix of every message stream to this recipient: their inbox.
    pub fn prefix(&self) -> String {
        StreamId::prefix(StreamKind::Message, format!("{}/", self.key()))
    }

    /// Whether `who`, a member of `member_of`, is (one of) the recipient(s).
    pub fn includes(&self, who: &Username, member_of: &[Code]) -> bool {
        match self {
            Self::Person(person) => person == who,
            Self::Team(team) => member_of.contains(team),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageId {
    pub to: Recipient,
    pub id: Uuid,
}

impl MessageId {
    pub fn stream(&self) -> StreamId {
        <Message as Aggregate>::stream(self)
    }

    /// Read a message stream's key back. The id is the last segment, so a team code holding
    /// `/` still reads back.
    pub fn from_stream_key(key: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("stream", format!("'{key}' is not a message's stream key"));
        let (to, id) = key.rsplit_once('/').ok_or_else(bad)?;
        Ok(Self {
            to: Recipient::parse_key(to)?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.to.key(), self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "message.")]
pub enum MessageEvent {
    Sent {
        to: Recipient,
        text: String,
        about: Option<BelongsTo>,
    },
    Read,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    pub by: Username,
    pub at: Timestamp,
}

/// A message folded from its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: MessageId,
    pub from: Username,
    pub text: String,
    pub about: Option<BelongsTo>,
    pub sent_at: Timestamp,
    /// The first reading by each person, in order.
    pub reads: Vec<Reading>,
}

impl Message {
    /// When `who` first read it.
    pub fn read_by(&self, who: &Username) -> Option<Timestamp> {
        self.reads.iter().find(|r| &r.by == who).map(|r| r.at)
    }

    /// When it was first read by anyone (for a message to a person: by them).
    pub fn read_at(&self) -> Option<Timestamp> {
        self.reads.first().map(|r| r.at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageCommand {
    Send {
        text: String,
        #[serde(default)]
        about: Option<BelongsTo>,
    },
    MarkRead,
}

#[derive(Debug, Clone, Copy)]
pub struct MessageContext<'a> {
    pub message: &'a MessageId,
    pub who: &'a Username,
    pub roles: &'a Roles,
    pub member_of: &'a [Code],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("none of your roles may do this: it needs the permission {}", .0.as_str())]
    NotPermitted(Permission),
}

fn refuse(rule: &'static str, field: &str, message: impl Into<String>) -> MessageError {
    MessageError::Refused(refuse_field(rule, field, message))
}

/// Sending needs [`Permission::SetTasks`]; marking read needs only being a recipient. Marking
/// read again is no change (no events), so a console may mark on every opening.
pub fn decide(
    state: Option<&Message>,
    command: MessageCommand,
    c: MessageContext<'_>,
) -> Result<Vec<MessageEvent>, MessageError> {
    match (state, command) {
        (None, MessageCommand::Send { text, about }) => {
            if !c.roles.may(Permission::SetTasks) {
                return Err(MessageError::NotPermitted(Permission::SetTasks));
            }
            let text = required_text("text", &text, limits::REASON)
                .map_err(|e| refuse("text", &e.field, e.message))?;
            Ok(vec![MessageEvent::Sent {
                to: c.message.to.clone(),
                text,
                about,
            }])
        }
        (Some(_), MessageCommand::Send { .. }) => Err(refuse(
            "message.id_unique",
            "message",
            "a message with this id is already sent",
        )),
        (None, MessageCommand::MarkRead) => Err(refuse(
            "message.known",
            "message",
            "there is no such message",
        )),
        (Some(message), MessageCommand::MarkRead) => {
            if !message.id.to.includes(c.who, c.member_of) {
                return Err(refuse(
                    "message.recipient",
                    "message",
                    "only its recipient marks a message read",
                ));
            }
            if message.read_by(c.who).is_some() {
                return Ok(Vec::new());
            }
            Ok(vec![MessageEvent::Read])
        }
    }
}

impl Aggregate for Message {
    type Id = MessageId;
    type Event = MessageEvent;

    fn stream(id: &MessageId) -> StreamId {
        StreamId::new(StreamKind::Message, id)
    }

    fn apply(state: Option<Self>, f: Folding<'_, Self>) -> Result<Self, FoldError> {
        let Stamped { at, by, event } = f.stamped;
        match (state, event) {
            (None, MessageEvent::Sent { to, text, about }) => {
                if to != &f.id.to {
                    return Err(
                        f.misfit("a message sent to another recipient than its stream names")
                    );
                }
                Ok(Message {
                    id: f.id.clone(),
                    from: by.clone(),
                    text: text.clone(),
                    about: *about,
                    sent_at: *at,
                    reads: Vec::new(),
                })
            }
            (Some(mut message), MessageEvent::Read) => {
                if message.read_by(by).is_none() {
                    message.reads.push(Reading {
                        by: by.clone(),
                        at: *at,
                    });
                }
                Ok(message)
            }
            (None, MessageEvent::Read) => Err(f.misfit("a message read before it was sent")),
            (Some(_), MessageEvent::Sent { .. }) => Err(f.misfit("a message sent twice")),
        }
    }
}

impl Decide for Message {
    type Command = MessageCommand;
    type Context<'a> = MessageContext<'a>;
    type Rejection = MessageError;

    fn decide(
        state: Option<&Self>,
        command: MessageCommand,
        c: MessageContext<'_>,
    ) -> Result<Vec<MessageEvent>, MessageError> {
        decide(state, command, c)
    }
}

/// What `who` (a member of `member_of`) sees: the messages addressed to them, unread first,
/// then newest first.
pub fn inbox<'a>(
    messages: impl IntoIterator<Item = &'a Message>,
    who: &Username,
    member_of: &[Code],
) -> Vec<&'a Message> {
    let mut mine: Vec<&Message> = messages
        .into_iter()
        .filter(|m| m.id.to.includes(who, member_of))
        .collect();
    mine.sort_by_key(|m| (m.read_by(who).is_some(), std::cmp::Reverse(m.sent_at)));
    mine
}
