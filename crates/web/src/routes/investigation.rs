//! After the crime is recorded (issue 15): investigation decisions on a crime, and the work
//! lists. The decisions come as `{"action": "...", ...}`, read straight into the domain's
//! `InvestigationCommand`; three paths split them by who makes them, so the edge's access
//! table can hold each to one permission (the domain checks again, per action).

use super::Answer;
use super::crimes::view;
use crate::dto::Stamp;
use crate::error::ApiError;
use crate::extract::{Caller, Change, CrimeId};
use axum::Json;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::investigation::{self, WorkItem, WorkLists};
use controlroom_domain::investigation::InvestigationCommand;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who makes a decision: the path it is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Desk {
    Investigation,
    Supervision,
    Scenes,
}

impl Desk {
    fn of(command: &InvestigationCommand) -> Self {
        use InvestigationCommand as C;
        match command {
            C::ApproveScreening { .. } | C::ReturnScreening { .. } | C::ReviewFinalisation(_) => {
                Self::Supervision
            }
            C::BookCsi { .. } | C::RecordCsiAttendance { .. } => Self::Scenes,
            _ => Self::Investigation,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Investigation => "/api/v1/crimes/{id}/investigation",
            Self::Supervision => "/api/v1/crimes/{id}/supervision",
            Self::Scenes => "/api/v1/crimes/{id}/scenes",
        }
    }
}

/// A CSI cancels from the scenes desk, an investigator from the investigation desk.
fn accepted_at(desk: Desk, command: &InvestigationCommand) -> bool {
    Desk::of(command) == desk
        || (desk == Desk::Scenes && matches!(command, InvestigationCommand::CancelCsi { .. }))
}

async fn decide(
    desk: Desk,
    c: Change<CrimeId, InvestigationCommand>,
) -> Result<Response, ApiError> {
    if !accepted_at(desk, &c.body) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_desk",
            format!(
                "action: this decision is not made here; send it to {}",
                Desk::of(&c.body).path()
            ),
        ));
    }
    let key = c.idempotency.clone();
    let crime = investigation::act(&c.state.app, &c.actor, c.id.0, c.body, key.as_ref()).await?;
    Ok(super::replayed(
        Json(view(&c.state, &crime)),
        crime.replayed,
    ))
}

/// One investigation decision, as JSON with an `action` (documentation of the domain's
/// `InvestigationCommand`, which the handler reads). Actions and their fields:
/// `screen` {decision: {outcome: "screened_in", allocated_to} | {outcome: "filed"}, factors:
/// [{factor, note}], rationale}; `add_enquiry` {id, kind, description, owner, due, …};
/// `reassign_enquiry`; `complete_enquiry` {enquiry, result}; `request_csi` {id, what,
/// location, forensic_opportunities, preservation_advice, incident}; `cancel_csi`;
/// `assess_victim`; `refer_victim`; `give_victim_details`; `offer_vps`;
/// `record_victim_position`; `record_key_event` {kind, occurred_at, note};
/// `record_victim_update` {key_event, victim, informed_at, method, note}; `answer_flags`
/// {flags: [{flag, yes}]}; `link_crime`; `unlink_crime`; `link_person`; `unlink_person`;
/// `propose_finalisation` {outcome, rationale, …}; `reopen` {new_information}. The
/// supervisor's: `approve_screening`, `return_screening`, `review_finalisation` {decision:
/// "approve", checklist} | {decision: "return", reasons}. The CSI's: `book_csi`,
/// `record_csi_attendance`, `cancel_csi`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct InvestigationAction {
    /// The decision, e.g. `screen`, `add_enquiry`, `record_key_event`.
    pub action: String,
}

/// Screen, plan enquiries, request CSI, look after the victim, link, propose the outcome or
/// reopen (the investigator or crime recorder).
#[utoipa::path(post, path = "/api/v1/crimes/{id}/investigation", tag = "investigation",
    request_body = InvestigationAction, responses(super::crimes::CrimeNow))]
pub async fn act(c: Change<CrimeId, InvestigationCommand>) -> Result<Response, ApiError> {
    decide(Desk::Investigation, c).await
}

/// Approve or return a filing, or review a proposed finalisation (a supervisor who did not
/// make the decision).
#[utoipa::path(post, path = "/api/v1/crimes/{id}/supervision", tag = "investigation",
    request_body = InvestigationAction, responses(super::crimes::CrimeNow))]
pub async fn supervise(c: Change<CrimeId, InvestigationCommand>) -> Result<Response, ApiError> {
    decide(Desk::Supervision, c).await
}

/// Book, attend or cancel a scene examination (crime scene investigators).
#[utoipa::path(post, path = "/api/v1/crimes/{id}/scenes", tag = "investigation",
    request_body = InvestigationAction, responses(super::crimes::CrimeNow))]
pub async fn scenes(c: Change<CrimeId, InvestigationCommand>) -> Result<Response, ApiError> {
    decide(Desk::Scenes, c).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkItemView {
    pub crime: String,
    pub reference: String,
    pub classification: String,
    pub stage: String,
    /// What is waiting, in words.
    pub what: String,
    pub owner: Option<String>,
    /// When it is due (or, on the CSI queue, booked for), RFC 3339.
    pub due: Option<String>,
    pub overdue: bool,
}

impl From<WorkItem> for WorkItemView {
    fn from(w: WorkItem) -> Self {
        Self {
            crime: w.crime.to_string(),
            reference: w.reference,
            classification: w.classification,
            stage: w.stage.to_owned(),
            what: w.what,
            owner: w.owner,
            due: w.due.map(|t| t.to_string()),
            overdue: w.overdue,
        }
    }
}

/// The lists a user works from; each is empty when the user's roles do not see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkListsView {
    /// Crimes screened in and allocated to you by name.
    pub allocated_to_me: Vec<WorkItemView>,
    pub my_enquiries: Vec<WorkItemView>,
    pub to_screen: Vec<WorkItemView>,
    pub awaiting_review: Vec<WorkItemView>,
    pub overdue_enquiries: Vec<WorkItemView>,
    pub victims_awaiting_update: Vec<WorkItemView>,
    pub csi_queue: Vec<WorkItemView>,
    /// Victim updates given within the Code's time limit, of those given.
    pub updates_on_time: usize,
    pub updates_given: usize,
    /// `updates_on_time / updates_given`; none before any update is given.
    pub updates_on_time_share: Option<f64>,
    /// More crimes were in investigation than the lists read at once: the oldest are missing.
    pub truncated: bool,
    pub seen: Stamp,
}

fn lists_view(lists: WorkLists, seen: Stamp) -> WorkListsView {
    let all = |items: Vec<WorkItem>| items.into_iter().map(WorkItemView::from).collect();
    WorkListsView {
        updates_on_time: lists.updates_on_time.on_time,
        updates_given: lists.updates_on_time.closed,
        updates_on_time_share: lists.updates_on_time.share(),
        allocated_to_me: all(lists.allocated_to_me),
        my_enquiries: all(lists.my_enquiries),
        to_screen: all(lists.to_screen),
        awaiting_review: all(lists.awaiting_review),
        overdue_enquiries: all(lists.overdue_enquiries),
        victims_awaiting_update: all(lists.victims_awaiting_update),
        csi_queue: all(lists.csi_queue),
        truncated: lists.truncated,
        seen,
    }
}

/// The investigator's queue, crimes to screen, and for supervisors the overdue enquiries,
/// reviews waiting, victims awaiting an update and the on-time share (audited).
#[utoipa::path(get, path = "/api/v1/investigation/work", tag = "investigation",
    responses((status = 200, body = WorkListsView)))]
pub async fn work(c: Caller) -> Answer<WorkListsView> {
    let lists = investigation::work_lists(c.app(), &c.actor).await?;
    Ok(Json(lists_view(
        lists,
        Stamp::of(c.app().clock.now(), &c.actor.username),
    )))
}

/// The CSI team's queue: requests to book first, then booked ones by diary time (audited).
#[utoipa::path(get, path = "/api/v1/investigation/scenes", tag = "investigation",
    responses((status = 200, body = WorkListsView)))]
pub async fn scenes_queue(c: Caller) -> Answer<WorkListsView> {
    work(c).await
}
