//! Tasks, team queues and escalation (issue 17): work sent out of the control room to a team
//! or department of the directory (`teams.psv`), or one officer in it, on an incident; each
//! task a stream of its own (`task/incident/{incident}/{task}`), decided by
//! `domain::tasking::decide`. Team membership is each team's roster (`team/{CODE}`,
//! `domain::tasking::roster`), kept by supervisors. A team's queue, the supervisors' and the
//! duty inspector's escalation views and the overdue call-backs are worked out from the open
//! tasks at the clock's now, so nothing escalates by a timer that a restart could lose.

use crate::event_store::{Executed, execute, fold};
use crate::records::{incident_stream, rebuild, record_access};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::incident::IncidentId;
use controlroom_domain::roles::Permission;
use controlroom_domain::stream::StreamKind;
use controlroom_domain::tasking::roster::{self, Roster, RosterCommand};
use controlroom_domain::tasking::{
    self, BelongsTo, EscalationLevel, TaskCommand, TaskContext, TaskError, TaskId, TaskState,
};
use controlroom_domain::text::Code;
use controlroom_domain::user::Username;
use jiff::Timestamp;
use serde_json::json;
use uuid::Uuid;

impl From<TaskError> for AppError {
    fn from(err: TaskError) -> Self {
        match err {
            TaskError::Refused(refusal) => AppError::Invalid(refusal.invalid()),
            TaskError::NotPermitted(_) => AppError::Forbidden(err.to_string()),
        }
    }
}

/// Set, acknowledge, reassign, complete or cancel a task on an incident.
pub async fn act(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
    task: Uuid,
    command: TaskCommand,
    idempotency: Option<&Idempotency>,
) -> Result<Executed<TaskState>, AppError> {
    let role = actor
        .roles
        .granting(command.permission())
        .unwrap_or(actor.roles.first());
    let actor = &actor.acting_as(role);
    let records = app.store.stream(&incident_stream(incident)).await?;
    if rebuild(&records, None)?.is_none() {
        return Err(AppError::NotFound(format!(
            "there is no incident with id {incident}"
        )));
    }
    let member_of = teams_of(app, &actor.username).await?;
    let id = TaskId {
        belongs_to: BelongsTo::Incident(incident),
        id: task,
    };
    execute::<TaskState>(
        app,
        actor,
        &id,
        idempotency,
        |state, now| {
            tasking::decide(
                state,
                command,
                TaskContext {
                    task: &id,
                    who: &actor.username,
                    roles: &actor.roles,
                    member_of: &member_of,
                    now,
                    reference: &app.settings.reference,
                },
            )
            .map_err(AppError::from)
        },
        |_, _, _| Vec::new(),
    )
    .await
}

/// An open task as a view shows it: how late it is and how far it has escalated.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLine {
    pub task: TaskState,
    pub overdue: bool,
    pub level: EscalationLevel,
}

/// What a user's task page shows: the queue of each team they are in (or every team's, for
/// a supervisor), the tasks escalated to a supervisor or to the duty inspector, and the
/// incidents whose promised call-back is late.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskBoard {
    pub teams: Vec<Code>,
    /// Open tasks of those teams, most pressing first.
    pub queue: Vec<TaskLine>,
    /// Open tasks late enough to be on a supervisor's view (supervisors only).
    pub escalated: Vec<TaskLine>,
    /// Open tasks late enough for the duty inspector (supervisors only).
    pub duty_inspector: Vec<TaskLine>,
    /// Incidents whose promised call-back is overdue, the longest first.
    pub overdue_call_backs: Vec<(IncidentId, Timestamp)>,
    /// Safeguarding referrals not sent, or not acknowledged, in time (supervisors only).
    pub late_referrals: Vec<crate::referrals::LateReferral>,
}

/// The tasks on an incident, oldest set first. The look is recorded.
pub async fn of_incident(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
) -> Result<Vec<TaskState>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "see tasks")?;
    let prefix = BelongsTo::Incident(incident).task_prefix();
    let mut tasks = Vec::new();
    for stream in app.store.streams(StreamKind::Task, &prefix).await? {
        tasks.extend(fold_task(app, &stream).await?);
    }
    tasks.sort_by_key(|t| t.set_at);
    record_access(
        app,
        actor,
        incident_stream(incident),
        "tasks_viewed",
        json!({ "tasks": tasks.iter().map(|t| t.id.to_string()).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(tasks)
}

/// The user's task board at the clock's now. The look is recorded, naming the tasks shown.
pub async fn board(app: &App, actor: &Actor) -> Result<TaskBoard, AppError> {
    let supervisor = actor.roles.may(Permission::SuperviseTasks);
    if !(supervisor || actor.roles.may(Permission::SetTasks)) {
        return Err(AppError::Forbidden(
            "the task board is for those who set and take tasks".into(),
        ));
    }
    let now = app.now();
    let teams = teams_of(app, &actor.username).await?;
    let open = open_tasks(app).await?;
    let policy = &app.settings.reference.tasking;
    let line = |task: &TaskState| TaskLine {
        task: task.clone(),
        overdue: task.overdue(now),
        level: task.escalation(now, policy).level,
    };
    // A supervisor sees every team's queue; anyone else, their own teams' and what is set
    // to them by name.
    let mut board = TaskBoard {
        queue: open
            .iter()
            .filter(|t| {
                supervisor
                    || teams.contains(&t.to.team)
                    || t.to.officer.as_ref() == Some(&actor.username)
            })
            .map(line)
            .collect(),
        ..TaskBoard::default()
    };
    board
        .queue
        .sort_by_key(|l| (l.task.priority, l.task.due, l.task.set_at, l.task.id));
    if supervisor {
        board.escalated = tasking::escalated(&open, now, policy, EscalationLevel::Supervisor, None)
            .into_iter()
            .map(|e| line(e.task))
            .collect();
        board.duty_inspector =
            tasking::escalated(&open, now, policy, EscalationLevel::DutyInspector, None)
                .into_iter()
                .map(|e| line(e.task))
                .collect();
        board.late_referrals = crate::referrals::late(app, now).await?;
    }
    board.overdue_call_backs = tasking::overdue_call_backs(&open, now)
        .into_iter()
        .map(|o| (o.incident, o.due))
        .collect();
    board.teams = teams;
    record_access(
        app,
        actor,
        "tasks".to_owned(),
        "task_board_viewed",
        json!({
            "tasks": board.queue.iter().chain(&board.escalated).map(|l| l.task.id.to_string()).collect::<std::collections::BTreeSet<_>>(),
            "referrals": board.late_referrals.iter().map(|l| l.referral.id.to_string()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(board)
}

/// Every open task, folded from its stream. Closed tasks are read and dropped: the queues
/// keep no table of their own yet (see ARCHITECTURE, deliberately absent).
async fn open_tasks(app: &App) -> Result<Vec<TaskState>, AppError> {
    const PAGE: i64 = 500;
    let mut open = Vec::new();
    let mut last = String::new();
    loop {
        let page = app
            .store
            .streams_page(StreamKind::Task, &last, PAGE)
            .await?;
        let Some(end) = page.last() else { break };
        last = end.stream.clone();
        for records in page.chunk_by(|a, b| a.stream == b.stream) {
            let id = task_id(&records[0].stream)?;
            if let Some(task) = fold::<TaskState>(&id, records)?
                && task.is_open()
            {
                open.push(task);
            }
        }
    }
    Ok(open)
}

fn task_id(stream: &str) -> Result<TaskId, AppError> {
    controlroom_domain::stream::StreamId::parse(stream)
        .and_then(|s| TaskId::from_stream_key(s.key()))
        .map_err(|e| AppError::Corrupt(format!("task stream {stream}: {e}")))
}

async fn fold_task(app: &App, stream: &str) -> Result<Option<TaskState>, AppError> {
    let id = task_id(stream)?;
    fold::<TaskState>(&id, &app.store.stream(stream).await?)
}

/// The teams `user` is in, by the rosters.
pub async fn teams_of(app: &App, user: &Username) -> Result<Vec<Code>, AppError> {
    let mut teams = Vec::new();
    for team in &app.settings.reference.teams {
        if roster_of(app, &team.code)
            .await?
            .is_some_and(|r| r.has(user))
        {
            teams.push(team.code.clone());
        }
    }
    Ok(teams)
}

async fn roster_of(app: &App, team: &Code) -> Result<Option<Roster>, AppError> {
    crate::event_store::read::<Roster>(app.store.as_ref(), team).await
}

/// Every team of the directory with its members.
pub async fn rosters(app: &App, actor: &Actor) -> Result<Vec<Roster>, AppError> {
    actor.require(Permission::ViewIncidents, "see the team directory")?;
    let mut all = Vec::new();
    for team in &app.settings.reference.teams {
        all.push(roster_of(app, &team.code).await?.unwrap_or(Roster {
            team: team.code.clone(),
            members: Vec::new(),
        }));
    }
    Ok(all)
}

/// Add someone to a team, or take them off it (a supervisor or an administrator).
pub async fn change_roster(
    app: &App,
    actor: &Actor,
    team: &str,
    command: RosterCommand,
    idempotency: Option<&Idempotency>,
) -> Result<Executed<Roster>, AppError> {
    let team = Code::parse("team", team)?;
    let named = match &command {
        RosterCommand::AddMember { user } | RosterCommand::RemoveMember { user } => user.clone(),
    };
    let user_exists = app.store.user(&named).await?.is_some();
    let role = [Permission::SuperviseTasks, Permission::ManageUsers]
        .into_iter()
        .find_map(|p| actor.roles.granting(p))
        .unwrap_or(actor.roles.first());
    let actor = &actor.acting_as(role);
    execute::<Roster>(
        app,
        actor,
        &team,
        idempotency,
        |state, _| {
            roster::decide(
                &team,
                state,
                command,
                &actor.roles,
                &app.settings.reference,
                user_exists,
            )
            .map_err(|refusal| {
                if refusal.rule == "team.supervisor" {
                    AppError::Forbidden(refusal.message)
                } else {
                    AppError::Invalid(refusal.invalid())
                }
            })
        },
        |_, _, _| Vec::new(),
    )
    .await
}
