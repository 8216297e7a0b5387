//! Service clocks: how long a contact waited to be answered, to be graded, and, for grades
//! that send someone, how long to attendance against the force's target.

use crate::contact::Channel;
use crate::incident::Incident;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub target_minutes: u32,
    /// Graded (to the current grade) at, and due by.
    pub from: Timestamp,
    pub due_at: Timestamp,
    pub arrived_at: Option<Timestamp>,
}

impl Attendance {
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.arrived_at.is_none() && now > self.due_at
    }

    /// The warning before a target is missed: nobody there yet and `warn` or less to go.
    pub fn due_soon(&self, now: Timestamp, warn: SignedDuration) -> bool {
        self.arrived_at.is_none() && now <= self.due_at && self.due_at.duration_since(now) <= warn
    }

    /// Whether the target was met, once someone has arrived.
    pub fn met(&self) -> Option<bool> {
        self.arrived_at.map(|at| at <= self.due_at)
    }
}

/// How long before an attendance target runs out the dispatcher is warned (minutes).
pub const WARN_MINUTES: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceClocks {
    /// From receipt to answer, for telephone channels (999 and 101) that give it.
    pub answer: Option<SignedDuration>,
    /// From receipt of the first contact to the first grade.
    pub to_grade: Option<SignedDuration>,
    pub attendance: Option<Attendance>,
}

/// The clocks as the events recorded them: the attendance target is the one recorded with the
/// grade, so a later change of force policy does not rewrite history.
pub fn clocks(incident: &Incident) -> ServiceClocks {
    let first = incident.contacts.first();
    let answer = first
        .filter(|c| matches!(c.channel, Channel::Emergency999 | Channel::NonEmergency101))
        .map(|c| c.answered_at.duration_since(c.received_at));
    let to_grade = match (first, incident.grades.first()) {
        (Some(c), Some(g)) => Some(g.at.duration_since(c.received_at)),
        _ => None,
    };
    // The clock runs from the grading that set the current grade: an upgrade restarts it.
    let attendance = incident.grades.last().and_then(|current| {
        let minutes = current.attendance_target_minutes?;
        let due_at = current
            .at
            .checked_add(SignedDuration::from_mins(i64::from(minutes)))
            .ok()?;
        let arrived_at = incident
            .history
            .iter()
            .find(|h| h.at >= current.at && h.to == crate::incident::Status::AtScene)
            .map(|h| h.at);
        Some(Attendance {
            target_minutes: minutes,
            from: current.at,
            due_at,
            arrived_at,
        })
    });
    ServiceClocks {
        answer,
        to_grade,
        attendance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::IncidentCommand;
    use crate::incident::tests::{at, contact, open_with, run_at};

    fn run(steps: Vec<(i64, IncidentCommand)>) -> Incident {
        run_at(steps).unwrap()
    }

    /// Open incident 1 from a 999 call that rang 12 seconds before it was answered at minute 0.
    fn open() -> IncidentCommand {
        let mut contact = contact(1);
        contact.received_at = at(0) - SignedDuration::from_secs(12);
        open_with(contact, None)
    }

    fn grade(target: Option<u32>) -> IncidentCommand {
        match IncidentCommand::grade("emergency", "r").unwrap() {
            IncidentCommand::Grade {
                grade, rationale, ..
            } => IncidentCommand::Grade {
                grade,
                rationale,
                recommended: None,
                override_reason: None,
                attendance_target_minutes: target,
            },
            other => other,
        }
    }

    #[test]
    fn answer_grade_and_attendance_are_timed() {
        let incident = run(vec![
            (0, open()),
            (2, grade(Some(15))),
            (3, IncidentCommand::RecordDispatch { note: None }),
            (12, IncidentCommand::RecordArrival),
        ]);
        let clocks = clocks(&incident);
        assert_eq!(clocks.answer, Some(SignedDuration::from_secs(12)));
        assert_eq!(clocks.to_grade, Some(SignedDuration::from_secs(132)));
        let attendance = clocks.attendance.unwrap();
        assert_eq!(attendance.due_at, at(17));
        assert_eq!(attendance.met(), Some(true));
        assert!(!attendance.overdue(at(30)));
    }

    #[test]
    fn an_unattended_emergency_becomes_overdue() {
        let incident = run(vec![(0, open()), (2, grade(Some(15)))]);
        let attendance = clocks(&incident).attendance.unwrap();
        let warn = SignedDuration::from_mins(WARN_MINUTES);
        assert!(!attendance.due_soon(at(11), warn), "six minutes to go");
        assert!(
            attendance.due_soon(at(12), warn),
            "five minutes to go: warn"
        );
        assert!(!attendance.overdue(at(17)));
        assert!(attendance.overdue(at(18)));
        assert!(
            !attendance.due_soon(at(18), warn),
            "past due is overdue, not due soon"
        );
        assert_eq!(attendance.met(), None);
    }

    #[test]
    fn grades_without_a_target_have_no_attendance_clock() {
        let incident = run(vec![(0, open()), (2, grade(None))]);
        assert!(clocks(&incident).attendance.is_none());
    }
}
