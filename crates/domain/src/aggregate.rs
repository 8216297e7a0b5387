//! The shape every event-sourced record shares. An aggregate (incident, crime record, POLE
//! record, unit, diary slot) is the fold of the events in its own stream of the audit log:
//! nothing else holds its state. [`Aggregate`] says how its stream is named, what its events
//! are and how one is folded in; [`Decide`] says which events a command produces, checked
//! against the state. The application's event store (`controlroom_app::event_store`) does the
//! rest once for all of them: read a stream, fold it, write new events as audit records.
//!
//! Adding a record kind is: a [`StreamKind`] variant, the state and event types, and these
//! two impls. ARCHITECTURE.md walks through one.

pub use crate::incident::Stamped;
use crate::stream::StreamId;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// A stored stream that cannot be folded: the record is corrupt (or was written by a version
/// that meant something else), never a state to guess at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {index} ({kind}) cannot be applied: {problem}")]
pub struct FoldError {
    /// The event's place in its stream, from 0.
    pub index: usize,
    pub kind: &'static str,
    pub problem: String,
}

/// An event-sourced record.
pub trait Aggregate: Sized + Clone {
    /// What identifies one record of this kind (and names its stream).
    type Id: Clone + fmt::Display;
    /// Its events, as stored (JSON) in the audit log.
    type Event: Serialize + DeserializeOwned + Clone + fmt::Debug;

    /// The stream the record's events are kept in.
    fn stream(id: &Self::Id) -> StreamId;

    /// The event's name, the audit record's `kind` (`incident_opened`).
    fn event_kind(event: &Self::Event) -> &'static str;

    /// Fold one event into the state (`None` before the first). `index` is the event's place
    /// in the stream. Live changes and replay use this same function.
    fn apply(
        state: Option<Self>,
        id: &Self::Id,
        event: &Stamped<Self::Event>,
        index: usize,
    ) -> Result<Self, FoldError>;

    /// The record after `events`, oldest first (`None` for no events).
    fn replay<'a>(
        id: &Self::Id,
        events: impl IntoIterator<Item = &'a Stamped<Self::Event>>,
    ) -> Result<Option<Self>, FoldError>
    where
        Self::Event: 'a,
    {
        let mut state = None;
        for (index, event) in events.into_iter().enumerate() {
            state = Some(Self::apply(state, id, event, index)?);
        }
        Ok(state)
    }
}

/// An aggregate that decides, in the domain, what a command does to it.
pub trait Decide: Aggregate {
    type Command;
    /// What the decision needs besides the state: who asks, under which role, when, and the
    /// reference data in force (nothing, for an incident).
    type Context<'a>;
    type Rejection;

    fn decide(
        state: Option<&Self>,
        command: Self::Command,
        context: Self::Context<'_>,
    ) -> Result<Vec<Self::Event>, Self::Rejection>;
}

/// The error for an event that does not fit the state it is applied to.
pub fn misfit(index: usize, kind: &'static str, problem: impl Into<String>) -> FoldError {
    FoldError {
        index,
        kind,
        problem: problem.into(),
    }
}
