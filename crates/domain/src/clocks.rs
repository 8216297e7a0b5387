//! Service clocks: how long a contact waited to be answered, to be graded, and, for grades
//! that send someone, how long to attendance against the force's target.

use crate::contact::Channel;
use crate::incident::Incident;
use crate::reference::GradingPolicy;
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

    /// Whether the target was met, once someone has arrived.
    pub fn met(&self) -> Option<bool> {
        self.arrived_at.map(|at| at <= self.due_at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceClocks {
    /// From receipt to answer, for telephone channels (999 and 101) that give it.
    pub answer: Option<SignedDuration>,
    /// From receipt of the first contact to the first grade.
    pub to_grade: Option<SignedDuration>,
    pub attendance: Option<Attendance>,
}

pub fn clocks(incident: &Incident, policy: &GradingPolicy) -> ServiceClocks {
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
        let area = first.map(|c| c.location.area).unwrap_or_default();
        let minutes = policy.target_minutes(current.grade, area)?;
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
