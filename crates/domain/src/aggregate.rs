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

/// An event as stored: serialisable, and named by its audit record's `kind`
/// (`incident_opened`). Each event enum derives `strum::IntoStaticStr` with the kind of every
/// variant written on the variant, so the name and the event cannot drift apart; stored names
/// are never changed.
pub trait Event: Serialize + DeserializeOwned + Clone + fmt::Debug {
    fn kind(&self) -> &'static str;
}

impl<T> Event for T
where
    T: Serialize + DeserializeOwned + Clone + fmt::Debug,
    for<'a> &'a T: Into<&'static str>,
{
    fn kind(&self) -> &'static str {
        self.into()
    }
}

/// One event being folded into a record: which record, the event with who made it and when,
/// and its place in the stream (from 0), for the error if it does not fit.
pub struct Folding<'a, A: Aggregate> {
    pub id: &'a A::Id,
    pub stamped: &'a Stamped<A::Event>,
    pub index: usize,
}

impl<A: Aggregate> Folding<'_, A> {
    pub fn event(&self) -> &A::Event {
        &self.stamped.event
    }

    /// The error for this event not fitting the state, with why.
    pub fn misfit(&self, problem: impl Into<String>) -> FoldError {
        misfit(self.index, self.event().kind(), problem)
    }
}

/// An event-sourced record.
pub trait Aggregate: Sized + Clone {
    /// What identifies one record of this kind (and names its stream).
    type Id: Clone + fmt::Display;
    /// Its events, as stored (JSON) in the audit log.
    type Event: Event;

    /// The stream the record's events are kept in.
    fn stream(id: &Self::Id) -> StreamId;

    /// Fold one event into the state (`None` before the first). Live changes and replay use
    /// this same function.
    fn apply(state: Option<Self>, folding: Folding<'_, Self>) -> Result<Self, FoldError>;

    /// The record after `events`, oldest first (`None` for no events).
    fn replay<'a>(
        id: &Self::Id,
        events: impl IntoIterator<Item = &'a Stamped<Self::Event>>,
    ) -> Result<Option<Self>, FoldError>
    where
        Self::Event: 'a,
    {
        let mut state = None;
        for (index, stamped) in events.into_iter().enumerate() {
            let folding = Folding { id, stamped, index };
            state = Some(Self::apply(state, folding)?);
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

#[cfg(test)]
mod tests {
    use strum::VariantNames;

    /// Stored audit records carry these names: renaming one would orphan every record already
    /// written under it, so the full list of each event type is pinned here.
    #[test]
    fn stored_event_kinds_never_change() {
        use crate::{crime, diary, incident, pole, resources, safeguarding, tasking, user};
        let pinned: [(&[&str], &[&str]); 11] = [
            (
                safeguarding::ReferralEvent::VARIANTS,
                &[
                    "referral.drafted",
                    "referral.sent",
                    "referral.acknowledged",
                    "referral.refused",
                    "referral.outcome_recorded",
                    "referral.not_made",
                ],
            ),
            (
                tasking::TaskEvent::VARIANTS,
                &[
                    "task.set",
                    "task.acknowledged",
                    "task.reassigned",
                    "task.completed",
                    "task.cancelled",
                ],
            ),
            (
                tasking::messages::MessageEvent::VARIANTS,
                &["message.sent", "message.read"],
            ),
            (
                tasking::roster::RosterEvent::VARIANTS,
                &["team.member_added", "team.member_removed"],
            ),
            (
                crate::partner::PartnerEvent::VARIANTS,
                &[
                    "partner.sent",
                    "partner.received",
                    "partner.linked",
                    "partner.flagged",
                    "partner.flag_resolved",
                ],
            ),
            (
                incident::IncidentEvent::VARIANTS,
                &[
                    "incident_opened",
                    "contact_joined",
                    "log_entry_added",
                    "incident_graded",
                    "incident_classified",
                    "thrive_assessed",
                    "vulnerability_recorded",
                    "dash_completed",
                    "caller_signposted",
                    "incident_dispatched",
                    "arrived_at_scene",
                    "incident_resolved",
                    "incident_closed",
                    "incident_reopened",
                    "incident_closed_as_duplicate",
                    "appointment_set",
                    "crime_reported",
                    "incident_crime_recorded",
                    "non_crime_decided",
                    "questions_answered",
                    "intelligence_checked",
                    "unattended_closure_approved",
                ],
            ),
            (
                diary::DiaryEvent::VARIANTS,
                &[
                    "diary_slot_opened",
                    "appointment_booked",
                    "appointment_cancelled",
                    "appointment_missed",
                    "scene_attendance_booked",
                    "scene_attendance_released",
                ],
            ),
            (
                pole::PoleEvent::VARIANTS,
                &[
                    "person_recorded",
                    "person_updated",
                    "vehicle_recorded",
                    "location_recorded",
                    "property_recorded",
                    "marker_added",
                    "marker_withdrawn",
                    "person_merged",
                    "person_unmerged",
                    "record_linked",
                ],
            ),
            (
                resources::UnitEvent::VARIANTS,
                &[
                    "unit_registered",
                    "unit_status_changed",
                    "unit_position_reported",
                ],
            ),
            (
                user::UserEvent::VARIANTS,
                &["user_added", "user_roles_changed", "user_password_changed"],
            ),
            (
                crime::CrimeEvent::VARIANTS,
                &[
                    "crime.recorded",
                    "crime.reclassified",
                    "crime.cancellation_requested",
                    "crime.cancelled",
                    "crime.cancellation_declined",
                    "crime.screened",
                    "crime.screening_approved",
                    "crime.screening_returned",
                    "crime.enquiry_added",
                    "crime.enquiry_reassigned",
                    "crime.enquiry_completed",
                    "crime.csi_requested",
                    "crime.csi_booked",
                    "crime.csi_attended",
                    "crime.csi_cancelled",
                    "crime.victim_assessed",
                    "crime.victim_referred",
                    "crime.victim_details_given",
                    "crime.vps_offered",
                    "crime.victim_position_recorded",
                    "crime.key_event_recorded",
                    "crime.victim_updated",
                    "crime.flags_answered",
                    "crime.crime_linked",
                    "crime.crime_unlinked",
                    "crime.person_linked",
                    "crime.person_unlinked",
                    "crime.finalisation_proposed",
                    "crime.finalised",
                    "crime.finalisation_returned",
                    "crime.reopened",
                ],
            ),
        ];
        for (derived, stored) in pinned {
            assert_eq!(derived, stored);
        }
        // The kind written at run time comes from the same attributes, prefix included.
        use super::Event;
        let moved = resources::UnitEvent::PositionReported {
            lat: 53.8,
            lon: -1.5,
        };
        assert_eq!(moved.kind(), "unit_position_reported");
        assert_eq!(
            crime::CrimeEvent::CancellationApproved.kind(),
            "crime.cancelled"
        );
    }
}
