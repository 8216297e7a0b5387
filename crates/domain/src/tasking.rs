//! Tasks and messages (issue 17): work carried out of the control room to a department, a
//! team or a named officer, and back. A task ("call the victim back", "visit", "obtain the
//! CCTV", "pass this intelligence") belongs to an incident or a crime, has a due time and a
//! priority, is acknowledged and completed with a result (or cancelled with the reason), sits in
//! its team's queue, and when it is not done in time escalates: first to the team's supervisor,
//! then to the duty inspector ([`policy`], `reference/task-escalation.psv`).
//!
//! A promised call-back is a task of kind [`TaskKind::CallBack`] on the incident with the
//! deadline promised; [`overdue_call_backs`] gives the incidents whose promised contact is
//! late (the live list's "promised contact overdue").
//!
//! Module map:
//! - this file: [`BelongsTo`], the task aggregate ([`TaskState`], [`TaskEvent`],
//!   [`TaskCommand`], [`decide`]), queues, escalation and call-backs.
//! - [`policy`]: due times and escalation intervals by priority.
//! - [`messages`]: messages to a person or a team, and their reading.
//!
//! Storage: every task is a stream of its own, `task/{incident|crime}/{uuid}/{task uuid}`
//! ([`TaskId::stream`]), so a record's tasks are listed by the stream prefix
//! ([`BelongsTo::task_prefix`]) and two people acting on one task are serialised by its
//! stream's write lock. Team queues and the escalation views are projections over all open
//! tasks: the application keeps them (or folds every open task's stream) and calls
//! [`team_queue`], [`escalated`] and [`overdue_call_backs`] on what it holds.

pub mod messages;
pub mod policy;
pub mod roster;

use crate::aggregate::{Aggregate, Decide, FoldError, Folding, Stamped};
use crate::incident::IncidentId;
use crate::investigation::{Refusal, refuse_field};
use crate::limits;
use crate::reference::ReferenceData;
use crate::roles::{Permission, Roles};
use crate::stream::{StreamId, StreamKind};
use crate::text::{Code, Invalid, optional_text, required_text};
use crate::user::Username;
use jiff::{SignedDuration, Timestamp};
use policy::TaskPolicy;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The record a task, referral or message is about: an incident or a crime. Written in JSON as
/// `{"incident": "<uuid>"}` or `{"crime": "<uuid>"}`, and in stream keys as
/// `incident/<uuid>` or `crime/<uuid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BelongsTo {
    Incident(IncidentId),
    Crime(Uuid),
}

impl BelongsTo {
    /// `incident/<uuid>` or `crime/<uuid>`.
    pub fn key(&self) -> String {
        match self {
            Self::Incident(id) => format!("incident/{id}"),
            Self::Crime(id) => format!("crime/{id}"),
        }
    }

    /// Read [`BelongsTo::key`] back.
    pub fn parse_key(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "belongs_to",
                format!("'{raw}' is not incident/<uuid> or crime/<uuid>"),
            )
        };
        let (kind, id) = raw.split_once('/').ok_or_else(bad)?;
        let id: Uuid = id.parse().map_err(|_| bad())?;
        match kind {
            "incident" => Ok(Self::Incident(IncidentId(id))),
            "crime" => Ok(Self::Crime(id)),
            _ => Err(bad()),
        }
    }

    pub fn incident(&self) -> Option<IncidentId> {
        match self {
            Self::Incident(id) => Some(*id),
            Self::Crime(_) => None,
        }
    }

    /// The prefix every task stream of this record begins with, for listing its tasks.
    pub fn task_prefix(&self) -> String {
        StreamId::prefix(StreamKind::Task, format!("{}/", self.key()))
    }
}

impl fmt::Display for BelongsTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// A task: the record it belongs to and its own id (chosen by the caller, so a retried
/// command cannot set a second task).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskId {
    pub belongs_to: BelongsTo,
    pub id: Uuid,
}

impl TaskId {
    pub fn stream(&self) -> StreamId {
        <TaskState as Aggregate>::stream(self)
    }

    /// Read a task stream's key (`incident/<uuid>/<uuid>`) back.
    pub fn from_stream_key(key: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("stream", format!("'{key}' is not a task's stream key"));
        let (record, id) = key.rsplit_once('/').ok_or_else(bad)?;
        Ok(Self {
            belongs_to: BelongsTo::parse_key(record)?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.belongs_to, self.id)
    }
}

/// What the task asks for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TaskKind {
    /// Call the victim (or caller) back: a promised contact.
    CallBack,
    Visit,
    ObtainCctv,
    PassIntelligence,
    Other,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How soon. Ordered most pressing first (`Urgent < High`), so a queue sorts by it directly.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Self::Urgent, Self::High, Self::Normal, Self::Low];

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Whom a task is for: always a team or department (whose queue it is in, and whose
/// supervisor sees it when it is late), and optionally one named officer in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignee {
    /// The team or department code (e.g. `NPT_LS8`, `PUBLIC_PROTECTION`).
    pub team: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer: Option<Username>,
}

/// A task as set (the event `task.set`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSet {
    pub belongs_to: BelongsTo,
    pub kind: TaskKind,
    pub to: Assignee,
    pub priority: Priority,
    pub due: Timestamp,
    pub details: String,
}

/// What happened to a task. Stored names are never renamed (pinned in `aggregate.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "task.")]
pub enum TaskEvent {
    Set(TaskSet),
    Acknowledged {
        note: Option<String>,
    },
    Reassigned {
        to: Assignee,
        due: Timestamp,
        reason: String,
    },
    Completed {
        result: String,
    },
    Cancelled {
        reason: String,
    },
}

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskStatus {
    Set,
    Acknowledged {
        by: Username,
        at: Timestamp,
        note: Option<String>,
    },
    Completed {
        by: Username,
        at: Timestamp,
        result: String,
    },
    Cancelled {
        by: Username,
        at: Timestamp,
        reason: String,
    },
}

impl TaskStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::Acknowledged { .. } => "acknowledged",
            Self::Completed { .. } => "completed",
            Self::Cancelled { .. } => "cancelled",
        }
    }
}

/// A reassignment, kept so the task's history shows who moved it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reassignment {
    pub from: Assignee,
    pub to: Assignee,
    pub due: Timestamp,
    pub reason: String,
    pub at: Timestamp,
    pub by: Username,
}

/// A task folded from its stream. Serialized as a console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskState {
    pub id: TaskId,
    pub kind: TaskKind,
    pub to: Assignee,
    pub priority: Priority,
    pub due: Timestamp,
    pub details: String,
    pub set_at: Timestamp,
    pub set_by: Username,
    pub status: TaskStatus,
    pub reassignments: Vec<Reassignment>,
}

impl TaskState {
    /// Not yet completed or cancelled. An acknowledged task is still open: acknowledging says
    /// someone has it, not that it is done.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            TaskStatus::Set | TaskStatus::Acknowledged { .. }
        )
    }

    /// Open and past its due time at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.is_open() && now > self.due
    }

    /// How far an open task has escalated at `now` under the force's policy. A priority
    /// with no row in the policy (never, once the reference data has loaded) escalates
    /// straight to the supervisor when late: the safe reading.
    pub fn escalation(&self, now: Timestamp, policy: &TaskPolicy) -> Escalation {
        if !self.overdue(now) {
            return Escalation {
                level: EscalationLevel::None,
                overdue_by: None,
                supervisor_from: None,
                inspector_from: None,
            };
        }
        let (to_supervisor, to_inspector) = policy
            .escalation(self.priority)
            .map_or((SignedDuration::ZERO, SignedDuration::MAX), |e| {
                (e.supervisor_after, e.inspector_after)
            });
        let supervisor_from = self.due.checked_add(to_supervisor).ok();
        let inspector_from = supervisor_from.and_then(|s| s.checked_add(to_inspector).ok());
        let reached = |at: Option<Timestamp>| at.is_some_and(|at| now >= at);
        let level = if reached(inspector_from) {
            EscalationLevel::DutyInspector
        } else if reached(supervisor_from) {
            EscalationLevel::Supervisor
        } else {
            EscalationLevel::Overdue
        };
        Escalation {
            level,
            overdue_by: Some(now.duration_since(self.due)),
            supervisor_from,
            inspector_from,
        }
    }
}

/// How far a task has escalated, ordered least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationLevel {
    /// Not overdue (or closed).
    None,
    /// Late, in the team's own queue only.
    Overdue,
    /// Late enough to show on the team supervisor's view.
    Supervisor,
    /// Late enough to show on the duty inspector's view as well.
    DutyInspector,
}

/// An open task's escalation at a moment, with the times it reaches each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub level: EscalationLevel,
    pub overdue_by: Option<SignedDuration>,
    pub supervisor_from: Option<Timestamp>,
    pub inspector_from: Option<Timestamp>,
}

/// Something a user asks to do to a task. Read from JSON as `{"action": "set", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum TaskCommand {
    /// Set the task. Without `due`, it is due after the policy's time for its priority.
    Set {
        kind: TaskKind,
        to: Assignee,
        priority: Priority,
        #[serde(default)]
        due: Option<Timestamp>,
        details: String,
    },
    /// The assignee (or a supervisor) says the task is theirs.
    Acknowledge {
        #[serde(default)]
        note: Option<String>,
    },
    Reassign {
        to: Assignee,
        due: Timestamp,
        reason: String,
    },
    Complete {
        result: String,
    },
    Cancel {
        reason: String,
    },
}

impl TaskCommand {
    /// A promised call-back: a task on the incident to call back by `due`.
    pub fn promise_call_back(to: Assignee, due: Timestamp, details: &str) -> Self {
        Self::Set {
            kind: TaskKind::CallBack,
            to,
            priority: Priority::High,
            due: Some(due),
            details: details.to_owned(),
        }
    }

    pub fn permission(&self) -> Permission {
        Permission::SetTasks
    }
}

/// What a decision on a task needs besides its state.
#[derive(Debug, Clone, Copy)]
pub struct TaskContext<'a> {
    pub task: &'a TaskId,
    pub who: &'a Username,
    pub roles: &'a Roles,
    /// The teams the user belongs to (the application's roster): a member of the assigned
    /// team may acknowledge and complete a task set to the team.
    pub member_of: &'a [Code],
    pub now: Timestamp,
    pub reference: &'a ReferenceData,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("none of your roles may do this: it needs the permission {}", .0.as_str())]
    NotPermitted(Permission),
}

fn refuse(rule: &'static str, field: &str, message: impl Into<String>) -> TaskError {
    TaskError::Refused(refuse_field(rule, field, message))
}

fn text(field: &str, raw: &str, max: usize) -> Result<String, TaskError> {
    required_text(field, raw, max).map_err(|e| refuse("text", &e.field, e.message))
}

/// A task goes to a team or department of the force's directory (`teams.psv`).
fn known_team(to: &Assignee, reference: &ReferenceData) -> Result<(), TaskError> {
    if reference.team(to.team.as_str()).is_some() {
        return Ok(());
    }
    let teams: Vec<&str> = reference.teams.iter().map(|t| t.code.as_str()).collect();
    Err(refuse(
        "task.team_known",
        "to.team",
        format!(
            "{} is not a team or department in the directory; use one of {}",
            to.team,
            teams.join(", ")
        ),
    ))
}

/// Check `command` against the task as it stands (`None` before it is set) and say what it
/// records. Nothing is recorded unless every check passes.
pub fn decide(
    state: Option<&TaskState>,
    command: TaskCommand,
    c: TaskContext<'_>,
) -> Result<Vec<TaskEvent>, TaskError> {
    if !c.roles.may(command.permission()) {
        return Err(TaskError::NotPermitted(command.permission()));
    }
    let supervises = c.roles.may(Permission::SuperviseTasks);
    let Some(task) = state else {
        return match command {
            TaskCommand::Set {
                kind,
                to,
                priority,
                due,
                details,
            } => {
                known_team(&to, c.reference)?;
                let due = match due {
                    Some(due) => due,
                    None => {
                        let after = c
                            .reference
                            .tasking
                            .escalation(priority)
                            .map(|e| e.due)
                            .ok_or_else(|| {
                                refuse(
                                    "reference.task_escalation",
                                    "due",
                                    format!(
                                        "task-escalation.psv gives no due time for {}: give the due time",
                                        priority.as_str()
                                    ),
                                )
                            })?;
                        c.now.checked_add(after).map_err(|_| {
                            refuse("task.due_future", "due", "the due time is out of range")
                        })?
                    }
                };
                if due <= c.now {
                    return Err(refuse(
                        "task.due_future",
                        "due",
                        "a task is due at a time still to come",
                    ));
                }
                Ok(vec![TaskEvent::Set(TaskSet {
                    belongs_to: c.task.belongs_to,
                    kind,
                    to,
                    priority,
                    due,
                    details: text("details", &details, limits::REASON)?,
                })])
            }
            _ => Err(refuse(
                "task.known",
                "task",
                "there is no such task: set it first",
            )),
        };
    };
    let open = || -> Result<(), TaskError> {
        if task.is_open() {
            Ok(())
        } else {
            Err(refuse(
                "task.open",
                "task",
                format!(
                    "the task is {}; nothing more can be done to it",
                    task.status.as_str()
                ),
            ))
        }
    };
    // The assignee is the named officer, or any member of the team when no officer is named;
    // a supervisor may act for anyone.
    let assignee = supervises
        || match &task.to.officer {
            Some(officer) => officer == c.who,
            None => c.member_of.contains(&task.to.team),
        };
    match command {
        TaskCommand::Set { .. } => Err(refuse(
            "task.id_unique",
            "task",
            "a task with this id is already set",
        )),
        TaskCommand::Acknowledge { note } => {
            open()?;
            if matches!(task.status, TaskStatus::Acknowledged { .. }) {
                return Err(refuse(
                    "task.acknowledged_once",
                    "task",
                    "the task is already acknowledged",
                ));
            }
            if !assignee {
                return Err(refuse(
                    "task.assignee",
                    "task",
                    format!(
                        "the task is for {}: only they, or a supervisor, acknowledge it",
                        describe(&task.to)
                    ),
                ));
            }
            let note = optional_text("note", note.as_deref(), limits::SHORT_REASON)
                .map_err(|e| refuse("text", &e.field, e.message))?;
            Ok(vec![TaskEvent::Acknowledged { note }])
        }
        TaskCommand::Reassign { to, due, reason } => {
            open()?;
            known_team(&to, c.reference)?;
            if due <= c.now {
                return Err(refuse(
                    "task.due_future",
                    "due",
                    "a task is due at a time still to come",
                ));
            }
            if to == task.to && due == task.due {
                return Err(refuse(
                    "task.reassign_changes",
                    "to",
                    "the task is already set to them, due then",
                ));
            }
            let reason = text("reason", &reason, limits::SHORT_REASON)?;
            Ok(vec![TaskEvent::Reassigned { to, due, reason }])
        }
        TaskCommand::Complete { result } => {
            open()?;
            if !assignee {
                return Err(refuse(
                    "task.assignee",
                    "task",
                    format!(
                        "the task is for {}: only they, or a supervisor, complete it",
                        describe(&task.to)
                    ),
                ));
            }
            let result = text("result", &result, limits::NARRATIVE)?;
            Ok(vec![TaskEvent::Completed { result }])
        }
        TaskCommand::Cancel { reason } => {
            open()?;
            if &task.set_by != c.who && !supervises {
                return Err(refuse(
                    "task.cancel_by",
                    "task",
                    "a task is cancelled by whoever set it, or a supervisor",
                ));
            }
            let reason = text("reason", &reason, limits::SHORT_REASON)?;
            Ok(vec![TaskEvent::Cancelled { reason }])
        }
    }
}

fn describe(to: &Assignee) -> String {
    match &to.officer {
        Some(officer) => format!("{officer} ({})", to.team),
        None => format!("the team {}", to.team),
    }
}

impl TaskState {
    /// Fold one event. Errors name a stream that cannot be folded.
    pub fn step(
        state: Option<TaskState>,
        id: &TaskId,
        stamped: &Stamped<TaskEvent>,
    ) -> Result<TaskState, &'static str> {
        let Stamped { at, by, event } = stamped;
        let Some(mut task) = state else {
            return match event {
                TaskEvent::Set(set) => {
                    if set.belongs_to != id.belongs_to {
                        return Err("a task set on another record than its stream names");
                    }
                    Ok(TaskState {
                        id: *id,
                        kind: set.kind,
                        to: set.to.clone(),
                        priority: set.priority,
                        due: set.due,
                        details: set.details.clone(),
                        set_at: *at,
                        set_by: by.clone(),
                        status: TaskStatus::Set,
                        reassignments: Vec::new(),
                    })
                }
                _ => Err("a task's stream must start with task.set"),
            };
        };
        match event {
            TaskEvent::Set(_) => return Err("a task set twice"),
            TaskEvent::Acknowledged { note } => {
                task.status = TaskStatus::Acknowledged {
                    by: by.clone(),
                    at: *at,
                    note: note.clone(),
                };
            }
            TaskEvent::Reassigned { to, due, reason } => {
                task.reassignments.push(Reassignment {
                    from: task.to.clone(),
                    to: to.clone(),
                    due: *due,
                    reason: reason.clone(),
                    at: *at,
                    by: by.clone(),
                });
                task.to = to.clone();
                task.due = *due;
                // The new assignee has not acknowledged it yet.
                task.status = TaskStatus::Set;
            }
            TaskEvent::Completed { result } => {
                task.status = TaskStatus::Completed {
                    by: by.clone(),
                    at: *at,
                    result: result.clone(),
                };
            }
            TaskEvent::Cancelled { reason } => {
                task.status = TaskStatus::Cancelled {
                    by: by.clone(),
                    at: *at,
                    reason: reason.clone(),
                };
            }
        }
        Ok(task)
    }
}

impl Aggregate for TaskState {
    type Id = TaskId;
    type Event = TaskEvent;

    fn stream(id: &TaskId) -> StreamId {
        StreamId::new(StreamKind::Task, id)
    }

    fn apply(state: Option<Self>, f: Folding<'_, Self>) -> Result<Self, FoldError> {
        TaskState::step(state, f.id, f.stamped).map_err(|p| f.misfit(p))
    }
}

impl Decide for TaskState {
    type Command = TaskCommand;
    type Context<'a> = TaskContext<'a>;
    type Rejection = TaskError;

    fn decide(
        state: Option<&Self>,
        command: TaskCommand,
        c: TaskContext<'_>,
    ) -> Result<Vec<TaskEvent>, TaskError> {
        decide(state, command, c)
    }
}

/// One task in a queue or a view, with whether it is late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueItem<'a> {
    pub task: &'a TaskState,
    pub overdue: bool,
}

/// The open tasks of `team`, in the order to work them: most pressing priority first, then
/// the earliest due (so within a priority the longest overdue leads), then the earliest set.
pub fn team_queue<'a>(
    tasks: impl IntoIterator<Item = &'a TaskState>,
    team: &Code,
    now: Timestamp,
) -> Vec<QueueItem<'a>> {
    let mut queue: Vec<&TaskState> = tasks
        .into_iter()
        .filter(|t| t.is_open() && &t.to.team == team)
        .collect();
    queue.sort_by_key(|t| (t.priority, t.due, t.set_at, t.id));
    queue
        .into_iter()
        .map(|task| QueueItem {
            task,
            overdue: task.overdue(now),
        })
        .collect()
}

/// An escalated task on a supervisor's or the duty inspector's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalated<'a> {
    pub task: &'a TaskState,
    pub escalation: Escalation,
}

/// The open tasks escalated to at least `level` at `now` (a supervisor's view:
/// [`EscalationLevel::Supervisor`], filtered to their teams by `teams` when given; the duty
/// inspector's: [`EscalationLevel::DutyInspector`]), longest overdue first.
pub fn escalated<'a>(
    tasks: impl IntoIterator<Item = &'a TaskState>,
    now: Timestamp,
    policy: &TaskPolicy,
    level: EscalationLevel,
    teams: Option<&[Code]>,
) -> Vec<Escalated<'a>> {
    let mut found: Vec<Escalated<'a>> = tasks
        .into_iter()
        .filter(|t| teams.is_none_or(|teams| teams.contains(&t.to.team)))
        .map(|task| Escalated {
            task,
            escalation: task.escalation(now, policy),
        })
        .filter(|e| e.escalation.level >= level && e.escalation.level != EscalationLevel::None)
        .collect();
    found.sort_by_key(|e| (e.task.due, e.task.priority, e.task.id));
    found
}

/// An incident whose promised contact is late: its open call-back tasks past their deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueContact<'a> {
    pub incident: IncidentId,
    /// The earliest deadline missed.
    pub due: Timestamp,
    pub overdue_by: SignedDuration,
    pub call_backs: Vec<&'a TaskState>,
}

/// The incidents whose promised call-back is overdue at `now`, the longest overdue first.
pub fn overdue_call_backs<'a>(
    tasks: impl IntoIterator<Item = &'a TaskState>,
    now: Timestamp,
) -> Vec<OverdueContact<'a>> {
    let mut by_incident: Vec<OverdueContact<'a>> = Vec::new();
    for task in tasks
        .into_iter()
        .filter(|t| t.kind == TaskKind::CallBack && t.overdue(now))
    {
        let Some(incident) = task.id.belongs_to.incident() else {
            continue;
        };
        match by_incident.iter_mut().find(|o| o.incident == incident) {
            Some(found) => {
                found.call_backs.push(task);
                if task.due < found.due {
                    found.due = task.due;
                    found.overdue_by = now.duration_since(task.due);
                }
            }
            None => by_incident.push(OverdueContact {
                incident,
                due: task.due,
                overdue_by: now.duration_since(task.due),
                call_backs: vec![task],
            }),
        }
    }
    by_incident.sort_by_key(|o| (o.due, o.incident));
    by_incident
}

#[cfg(test)]
mod tests;
