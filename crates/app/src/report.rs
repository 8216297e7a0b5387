//! What the rules make of an incident at one instant: the read model every answer about an
//! incident is built from. The edge (HTTP) only formats it; it computes nothing and reads no
//! clock of its own, so two fields of one answer never disagree about "now".

use crate::App;
use controlroom_domain::clocks::ServiceClocks;
use controlroom_domain::grading::Recommendation;
use controlroom_domain::incident::{Grade, Incident, Status};
use controlroom_domain::ncrs::RecordingClock;
use jiff::Timestamp;

/// One question of the incident type's set, with the answer recorded so far.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionState {
    pub fact: String,
    pub question: String,
    /// `yes`, `no`, `not_known`, or `not_asked`.
    pub answer: &'static str,
}

/// What the user asking may do to this incident now: their roles (the permission table) and
/// the incident's state, decided here so the console never re-encodes either.
// The API sends it as it is (schema `ActionsView`) rather than through a copy in `web`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ActionsView)]
pub struct Actions {
    pub log: bool,
    pub grade: bool,
    pub close: bool,
    pub reopen: bool,
    /// Take another caller's contact into this incident.
    pub contact: bool,
    pub appointment: bool,
    pub approve_unattended_closure: bool,
    /// Make the NCRS recording decision (record a crime, or a non-crime decision).
    pub record_crime: bool,
}

/// The actions `actor` may take on `incident`.
/// `attend` is the force's grades that promise a unit (`attend_before_closing`).
pub fn actions(actor: &crate::Actor, incident: &Incident, attend: &[Grade]) -> Actions {
    use controlroom_domain::roles::Permission as P;
    let may = |p| actor.roles.may(p);
    let status = incident.status;
    let open = status != Status::Closed;
    Actions {
        log: may(P::WriteIncidentLog) && open,
        grade: may(P::GradeIncident) && !matches!(status, Status::Resolved | Status::Closed),
        close: may(P::CloseIncident)
            && matches!(
                status,
                Status::Graded | Status::Dispatched | Status::AtScene | Status::Resolved
            ),
        reopen: may(P::ReopenIncident) && matches!(status, Status::Resolved | Status::Closed),
        contact: may(P::TakeContact) && open,
        appointment: may(P::GradeIncident) && open && incident.grade() == Some(Grade::Scheduled),
        approve_unattended_closure: may(P::ApproveUnattendedClosure)
            && incident.needs_attendance_before_closing(attend)
            && incident.unattended_closure.is_none()
            && open,
        record_crime: may(P::RecordCrime),
    }
}

/// An incident and what the rules say about it, computed at `at`.
#[derive(Debug, Clone)]
pub struct IncidentReport {
    pub incident: Incident,
    /// The instant every clock below was read at.
    pub at: Timestamp,
    /// The grade the facts recommend (or what is missing before one can be).
    pub recommendation: Recommendation,
    /// Force policy: a THRIVE assessment is required before grading.
    pub assessment_before_grading: bool,
    pub clocks: ServiceClocks,
    pub questions: Vec<QuestionState>,
    /// A deployed grade closed without attendance needs a supervisor's approval first.
    pub needs_unattended_approval: bool,
    pub crime_recording: CrimeRecording,
    /// What the user asking may do to it now.
    pub actions: Actions,
}

/// Where the incident stands in crime recording (NCRS), beside what the incident records of
/// it (`crimes`, `non_crime`).
#[derive(Debug, Clone)]
pub struct CrimeRecording {
    /// The 24-hour recording-decision clock, when the incident is a report of crime.
    pub clock: Option<RecordingClock>,
    /// The names of the linked crimes' classifications, in the order of `incident.crimes`.
    pub classification_names: Vec<Option<String>>,
    /// What in the incident suggests a crime (for the recorder and the integrity check).
    pub indicators: Vec<String>,
}

/// The report for `incident` now, for `actor`.
pub fn report(app: &App, actor: &crate::Actor, incident: Incident) -> IncidentReport {
    let reference = &app.settings.reference;
    let recommendation = crate::first_contact::recommendation(app, &incident);
    let questions = reference
        .questions_for(incident.incident_type.as_ref().map(|c| c.as_str()))
        .into_iter()
        .map(|q| QuestionState {
            fact: q.fact.to_string(),
            question: q.question.clone(),
            answer: incident
                .answers
                .get(&q.fact)
                .map_or("not_asked", |a| a.as_str()),
        })
        .collect();
    IncidentReport {
        at: app.now(),
        recommendation,
        assessment_before_grading: reference.policy.assessment_before_grading,
        clocks: controlroom_domain::clocks::clocks(&incident),
        questions,
        needs_unattended_approval: incident
            .needs_attendance_before_closing(&reference.policy.attend_before_closing)
            && incident.unattended_closure.is_none()
            && incident.status != Status::Closed,
        crime_recording: CrimeRecording {
            clock: controlroom_domain::ncrs::recording_clock(&incident),
            classification_names: incident
                .crimes
                .iter()
                .map(|c| {
                    reference
                        .offence(c.classification.as_str())
                        .map(|o| o.name.clone())
                })
                .collect(),
            indicators: controlroom_domain::ncrs::crime_indicators(&incident, reference),
        },
        actions: actions(actor, &incident, &reference.policy.attend_before_closing),
        incident,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_store::tests::sqlite_store;
    use controlroom_domain::clock::ManualClock;
    use controlroom_domain::contact::{CallerDraft, ContactDraft, ContactId, LocationDraft};
    use controlroom_domain::incident::{IncidentCommand, IncidentId, IncidentRef, decide};
    use controlroom_domain::user::Username;
    use std::sync::Arc;
    use uuid::Uuid;

    /// The report reads the app's clock once, and answers the type's questions as recorded
    /// ("not asked" until answered): the edge has nothing left to work out.
    #[tokio::test]
    async fn a_report_is_read_at_one_instant_with_every_question_listed() {
        let now: Timestamp = "2026-11-23T03:00:00Z".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let app = App::new(
            sqlite_store(&dir).await,
            Arc::new(ManualClock::new(now)),
            crate::Settings::default(),
        );
        let contact = ContactDraft {
            channel: "999".into(),
            caller: CallerDraft::named("Jane"),
            location: LocationDraft::described("14 Harehills Lane"),
            summary: "He has a knife".into(),
            ..ContactDraft::default()
        }
        .into_contact(
            ContactId(Uuid::nil()),
            Username::parse("handler").unwrap(),
            now,
        )
        .unwrap();
        let events = decide(
            None,
            IncidentCommand::Open {
                id: IncidentId(Uuid::nil()),
                reference: IncidentRef::parse("20261123-0001").unwrap(),
                incident_type: Some(
                    controlroom_domain::text::Code::parse("t", "DOMESTIC_INCIDENT").unwrap(),
                ),
                contact,
            },
        )
        .unwrap();
        let stamped: Vec<_> = events
            .into_iter()
            .map(|event| controlroom_domain::incident::Stamped {
                at: now,
                by: Username::parse("handler").unwrap(),
                event,
            })
            .collect();
        let incident = Incident::replay(stamped.iter()).unwrap().unwrap();
        let handler = crate::Actor::with_role(
            Username::parse("handler").unwrap(),
            controlroom_domain::roles::Role::ContactHandler,
        );
        let r = report(&app, &handler, incident.clone());
        assert_eq!(r.at, now, "read at the app's instant");
        assert!(!r.questions.is_empty(), "domestic incidents have questions");
        assert!(r.questions.iter().all(|q| q.answer == "not_asked"));
        assert!(
            r.recommendation.grade.is_none() && !r.recommendation.missing.is_empty(),
            "nothing recommended before the facts are in: {:?}",
            r.recommendation
        );
        assert!(!r.needs_unattended_approval);
        assert!(r.crime_recording.classification_names.is_empty());
        // A handler may log, grade and take another caller on an open incident; not close it
        // before it is graded, nor record a crime. An auditor may do nothing to it.
        assert!(r.actions.log && r.actions.grade && r.actions.contact);
        assert!(!r.actions.close && !r.actions.reopen && !r.actions.record_crime);
        let auditor = crate::Actor::with_role(
            Username::parse("auditor").unwrap(),
            controlroom_domain::roles::Role::Auditor,
        );
        assert_eq!(
            actions(&auditor, &incident, &[Grade::Emergency, Grade::Priority]),
            Actions::default()
        );
    }
}
