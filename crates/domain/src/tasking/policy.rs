//! The force's task policy, read from `reference/task-escalation.psv` with the rest of the
//! reference data ([`crate::reference::ReferenceData::tasking`]): for each priority, the
//! default due time and when an overdue task escalates to the team's supervisor and then to
//! the duty inspector. The shipped rows are this project's defaults (no national standard);
//! a force's own file gives a row for a priority to replace the default.

use super::Priority;
use crate::reference::{ReferenceError, Row};
use jiff::SignedDuration;

/// One row of `task-escalation.psv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub priority: Priority,
    /// Due this long after being set when the setter gives no due time.
    pub due: SignedDuration,
    /// How long past its due time an open task waits before its team's supervisor sees it.
    pub supervisor_after: SignedDuration,
    /// How long after the supervisor's escalation the duty inspector sees it.
    pub inspector_after: SignedDuration,
    pub source: String,
}

/// Every priority's row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskPolicy {
    pub escalations: Vec<Escalation>,
}

impl TaskPolicy {
    pub fn escalation(&self, priority: Priority) -> Option<&Escalation> {
        self.escalations.iter().find(|e| e.priority == priority)
    }

    /// A later row for the same priority (a force's file) replaces the earlier.
    pub(crate) fn load_row(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let raw = row.text(0, "priority")?;
        let priority: Priority = raw.parse().map_err(|_| {
            row.error(format!(
                "'{raw}' is not a priority; use urgent, high, normal or low"
            ))
        })?;
        let number = |i: usize, column: &str| -> Result<i64, ReferenceError> {
            let raw = row.text(i, column)?;
            raw.parse::<u32>()
                .map(i64::from)
                .map_err(|_| row.error(format!("the {column} is a whole number, not '{raw}'")))
        };
        let due_hours = number(1, "due_hours")?;
        if due_hours == 0 {
            return Err(row.error("due_hours is at least 1"));
        }
        let escalation = Escalation {
            priority,
            due: SignedDuration::from_hours(due_hours),
            supervisor_after: SignedDuration::from_mins(number(2, "supervisor_after_minutes")?),
            inspector_after: SignedDuration::from_mins(number(3, "inspector_after_minutes")?),
            source: row.text(4, "source")?,
        };
        self.escalations.retain(|e| e.priority != priority);
        self.escalations.push(escalation);
        Ok(())
    }

    /// Every priority has a row once all files are read.
    pub(crate) fn check(&self) -> Result<(), ReferenceError> {
        match Priority::ALL
            .iter()
            .find(|p| self.escalation(**p).is_none())
        {
            Some(missing) => Err(ReferenceError {
                file: "task-escalation.psv".into(),
                line: 0,
                message: format!("no row is given for the priority {}", missing.as_str()),
            }),
            None => Ok(()),
        }
    }
}
