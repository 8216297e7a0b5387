//! Referrals, tasks and teams (issue 17). Decisions come as `{"action": "...", ...}`, read
//! straight into the domain's `ReferralCommand`, `TaskCommand` or `RosterCommand`; the id of
//! a new referral or task is the client's (a UUID in the path), so a retried draft cannot
//! make two.

use super::Answer;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, Change, IncidentItem, PathId};
use axum::Json;
use axum::response::Response;
use controlroom_app::referrals::{self, RequiredReferral};
use controlroom_app::tasks::{self, TaskBoard, TaskLine};
use controlroom_domain::incident::IncidentId;
use controlroom_domain::safeguarding::ReferralCommand;
use controlroom_domain::tasking::TaskCommand;
use controlroom_domain::tasking::roster::RosterCommand;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn json_of(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A referral as its panel shows it: type, agency, reason, sharing, what is shared, due
/// time, status (`drafted`, `sent`, `acknowledged`, `refused`, `outcome_recorded`,
/// `not_made`) with who and when.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct ReferralView(serde_json::Value);

/// A task: kind, to whom (team, officer), priority, due, details, status, reassignments.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct TaskView(serde_json::Value);

#[derive(Debug, Serialize, ToSchema)]
pub struct RequiredView {
    pub referral_type: String,
    pub agency: String,
    pub agency_name: String,
    /// The rules requiring it, each with its source.
    pub because: Vec<String>,
    /// Sent, or recorded as not made by a supervisor.
    pub settled: bool,
}

impl From<RequiredReferral> for RequiredView {
    fn from(r: RequiredReferral) -> Self {
        Self {
            referral_type: r.referral_type,
            agency: r.agency,
            agency_name: r.agency_name,
            because: r.because,
            settled: r.settled,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralsView {
    pub referrals: Vec<ReferralView>,
    /// What the incident's facts require (referral-rules.psv): the close is refused while one
    /// is not settled.
    pub required: Vec<RequiredView>,
}

/// One referral decision, as JSON with an `action`: `draft` {referral_type, agency?, reason,
/// about_person?, sharing?: {kind: "consent", given_by, how} | {kind: "without_consent",
/// basis, why}, shared?, rules?}; `send` {via?, sharing?, shared?};
/// `record_acknowledgement` {their_reference?, note?}; `record_refusal` {reason};
/// `record_outcome` {outcome}; `record_not_made` {reason} (a supervisor).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ReferralAction {
    pub action: String,
}

/// The incident's referrals, and those its facts require. The look is audited.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/referrals", tag = "referrals",
    responses((status = 200, body = ReferralsView)))]
pub async fn referrals(c: Caller, PathId(id): PathId<IncidentId>) -> Answer<ReferralsView> {
    let found = referrals::of_incident(c.app(), &c.actor, id).await?;
    Ok(Json(ReferralsView {
        referrals: found
            .referrals
            .iter()
            .map(|r| ReferralView(json_of(r)))
            .collect(),
        required: found.required.into_iter().map(RequiredView::from).collect(),
    }))
}

/// Draft, send or record what became of a referral (its id is the client's UUID). Sending
/// records the disclosure in the access log.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/referrals/{referral}", tag = "referrals",
    request_body = ReferralAction, responses((status = 200, body = ReferralView)))]
pub async fn refer(c: Change<IncidentItem, ReferralCommand>) -> Result<Response, ApiError> {
    let IncidentItem(incident, referral) = c.id;
    let done = referrals::act(
        &c.state.app,
        &c.actor,
        incident,
        referral,
        c.body,
        c.idempotency.as_ref(),
    )
    .await?;
    Ok(super::replayed(
        Json(ReferralView(json_of(&done.state))),
        done.replayed,
    ))
}

/// One task decision, as JSON with an `action`: `set` {kind: call_back | visit |
/// obtain_cctv | pass_intelligence | other, to: {team, officer?}, priority: urgent | high |
/// normal | low, due?, details}; `acknowledge` {note?}; `reassign` {to, due, reason};
/// `complete` {result}; `cancel` {reason}.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct TaskAction {
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TasksView {
    pub tasks: Vec<TaskView>,
}

/// The incident's tasks, oldest first. The look is audited.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/tasks", tag = "tasks",
    responses((status = 200, body = TasksView)))]
pub async fn incident_tasks(c: Caller, PathId(id): PathId<IncidentId>) -> Answer<TasksView> {
    let found = tasks::of_incident(c.app(), &c.actor, id).await?;
    Ok(Json(TasksView {
        tasks: found.iter().map(|t| TaskView(json_of(t))).collect(),
    }))
}

/// Set a task on the incident (its id is the client's UUID), or acknowledge, reassign,
/// complete or cancel one.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/tasks/{task}", tag = "tasks",
    request_body = TaskAction, responses((status = 200, body = TaskView)))]
pub async fn task(c: Change<IncidentItem, TaskCommand>) -> Result<Response, ApiError> {
    let IncidentItem(incident, task) = c.id;
    let done = tasks::act(
        &c.state.app,
        &c.actor,
        incident,
        task,
        c.body,
        c.idempotency.as_ref(),
    )
    .await?;
    Ok(super::replayed(
        Json(TaskView(json_of(&done.state))),
        done.replayed,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskLineView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub task: serde_json::Value,
    pub overdue: bool,
    /// `none`, `overdue`, `supervisor` or `duty_inspector`.
    pub escalation: String,
}

impl From<&TaskLine> for TaskLineView {
    fn from(l: &TaskLine) -> Self {
        Self {
            task: json_of(&l.task),
            overdue: l.overdue,
            escalation: json_of(&l.level).as_str().unwrap_or_default().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueCallBackView {
    pub incident: String,
    /// The earliest promised time missed.
    pub due: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskBoardView {
    /// The teams you are in.
    pub teams: Vec<String>,
    /// Open tasks of your teams (every team's, for a supervisor) and those set to you.
    pub queue: Vec<TaskLineView>,
    /// Late enough for a supervisor (supervisors only).
    pub escalated: Vec<TaskLineView>,
    /// Late enough for the duty inspector (supervisors only).
    pub duty_inspector: Vec<TaskLineView>,
    pub overdue_call_backs: Vec<OverdueCallBackView>,
    /// Referrals not sent, or not acknowledged by the agency, in time (supervisors only):
    /// the referral as its panel shows it, with `chase` (`send_overdue` or
    /// `acknowledgement_overdue`) and `chase_due`.
    pub late_referrals: Vec<ReferralView>,
}

impl From<TaskBoard> for TaskBoardView {
    fn from(b: TaskBoard) -> Self {
        let lines = |ls: &[TaskLine]| ls.iter().map(TaskLineView::from).collect();
        let late_referrals = b
            .late_referrals
            .iter()
            .map(|l| {
                let mut view = json_of(&l.referral);
                if let (Some(object), serde_json::Value::Object(chase)) =
                    (view.as_object_mut(), json_of(&l.chase))
                {
                    for (k, v) in chase {
                        object.insert(if k == "due" { "chase_due".into() } else { k }, v);
                    }
                }
                ReferralView(view)
            })
            .collect();
        Self {
            late_referrals,
            teams: b.teams.iter().map(ToString::to_string).collect(),
            queue: lines(&b.queue),
            escalated: lines(&b.escalated),
            duty_inspector: lines(&b.duty_inspector),
            overdue_call_backs: b
                .overdue_call_backs
                .iter()
                .map(|(incident, due)| OverdueCallBackView {
                    incident: incident.to_string(),
                    due: due.to_string(),
                })
                .collect(),
        }
    }
}

/// Your task board: your teams' queues, and for supervisors what has escalated. Audited.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks",
    responses((status = 200, body = TaskBoardView)))]
pub async fn board(c: Caller) -> Answer<TaskBoardView> {
    Ok(Json(tasks::board(c.app(), &c.actor).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub code: String,
    pub name: String,
    /// `team` or `department`.
    pub kind: String,
    pub description: String,
    pub members: Vec<String>,
}

/// The team and department directory with each one's members.
#[utoipa::path(get, path = "/api/v1/teams", tag = "tasks",
    responses((status = 200, body = Vec<TeamView>)))]
pub async fn teams(c: Caller) -> Answer<Vec<TeamView>> {
    let rosters = tasks::rosters(c.app(), &c.actor).await?;
    let directory = &c.app().settings.reference.teams;
    Ok(Json(
        directory
            .iter()
            .map(|t| TeamView {
                code: t.code.to_string(),
                name: t.name.clone(),
                kind: t.kind.clone(),
                description: t.description.clone(),
                members: rosters
                    .iter()
                    .find(|r| r.team == t.code)
                    .map(|r| r.members.iter().map(ToString::to_string).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    ))
}

/// `add_member` or `remove_member` {user}.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct RosterAction {
    pub action: String,
    pub user: String,
}

/// Add someone to a team or take them off it (a supervisor or an administrator).
#[utoipa::path(post, path = "/api/v1/teams/{team}/members", tag = "tasks",
    request_body = RosterAction, responses((status = 200, body = Vec<String>)))]
pub async fn members(c: Change<ApiPath<String>, RosterCommand>) -> Result<Response, ApiError> {
    let done = tasks::change_roster(
        &c.state.app,
        &c.actor,
        &c.id.0,
        c.body,
        c.idempotency.as_ref(),
    )
    .await?;
    let members: Vec<String> = done.state.members.iter().map(ToString::to_string).collect();
    Ok(super::replayed(Json(members), done.replayed))
}

/// A message as sent: from, to, text, about (an incident or crime), when, and who has read it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct MessageView(serde_json::Value);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// The message's id: a UUID the sender makes, so a retried send sends one.
    #[schema(value_type = String)]
    pub id: uuid::Uuid,
    /// `{"person": "<username>"}` or `{"team": "<code>"}`.
    #[schema(value_type = Object)]
    pub to: controlroom_domain::tasking::messages::Recipient,
    pub text: String,
    /// `{"incident": "<uuid>"}` or `{"crime": "<uuid>"}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub about: Option<controlroom_domain::tasking::BelongsTo>,
}

/// Send a message to a person or a team; it appears on their consoles live.
#[utoipa::path(post, path = "/api/v1/messages", tag = "tasks",
    request_body = MessageInput, responses((status = 200, body = MessageView)))]
pub async fn send_message(c: crate::extract::Call<MessageInput>) -> Result<Response, ApiError> {
    let (c, b) = c.split();
    let done =
        controlroom_app::messages::send(c.app(), &c.actor, b.to, b.id, b.text, b.about, c.key())
            .await?;
    Ok(super::replayed(
        Json(MessageView(json_of(&done.state))),
        done.replayed,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxView {
    /// Yours and your teams': unread first, then newest.
    pub messages: Vec<MessageView>,
}

/// Your messages and your teams'. Audited.
#[utoipa::path(get, path = "/api/v1/messages", tag = "tasks",
    responses((status = 200, body = InboxView)))]
pub async fn inbox(c: Caller) -> Answer<InboxView> {
    let found = controlroom_app::messages::inbox(c.app(), &c.actor).await?;
    Ok(Json(InboxView {
        messages: found.iter().map(|m| MessageView(json_of(m))).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    #[schema(value_type = String)]
    pub id: uuid::Uuid,
    #[schema(value_type = Object)]
    pub to: controlroom_domain::tasking::messages::Recipient,
}

/// Mark a message read (yours, or your team's).
#[utoipa::path(post, path = "/api/v1/messages/read", tag = "tasks",
    request_body = ReadInput, responses((status = 200, body = MessageView)))]
pub async fn read_message(c: crate::extract::Call<ReadInput>) -> Answer<MessageView> {
    let (c, b) = c.split();
    let id = controlroom_domain::tasking::messages::MessageId { to: b.to, id: b.id };
    let done = controlroom_app::messages::mark_read(c.app(), &c.actor, id).await?;
    Ok(Json(MessageView(json_of(&done.state))))
}
