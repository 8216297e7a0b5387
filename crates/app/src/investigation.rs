//! After the crime is recorded (issue 15): every investigation decision (screening,
//! enquiries, scenes of crime, the Victims' Code, links, finalisation) goes through
//! `controlroom_domain::investigation::decide` and is appended to the crime's own stream, in
//! the audit chain like every other change. The work lists (the investigator's queue, the
//! supervisor's overdue list, the CSI queue, victims awaiting an update) are worked out from
//! the crimes themselves, and reading them is audited: they name victims' crimes.

use crate::crimes::{self, Crime};
use crate::records::record_access;
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::crime::CrimeRecord;
use controlroom_domain::incident::IncidentId;
use controlroom_domain::investigation::csi::{self, CsiState};
use controlroom_domain::investigation::enquiry::{self, EnquiryState};
use controlroom_domain::investigation::screening::{Allocation, ScreeningDecision};
use controlroom_domain::investigation::victims::{self, DeadlineState, OnTimeShare};
use controlroom_domain::investigation::{
    InvestigationCommand, InvestigationContext, InvestigationError, Stage,
};
use controlroom_domain::roles::Permission;
use controlroom_domain::user::Username;
use controlroom_store::CrimeFilter;
use jiff::Timestamp;
use serde_json::json;
use uuid::Uuid;

impl From<InvestigationError> for AppError {
    fn from(err: InvestigationError) -> Self {
        match err {
            InvestigationError::Refused(refusal) => AppError::Invalid(refusal.invalid()),
            InvestigationError::NotPermitted(_) => AppError::Forbidden(err.to_string()),
        }
    }
}

/// Make one investigation decision on crime `id`. Nothing is recorded unless the domain
/// accepts the whole decision.
pub async fn act(
    app: &App,
    actor: &Actor,
    id: Uuid,
    command: InvestigationCommand,
    idempotency: Option<&Idempotency>,
) -> Result<Crime, AppError> {
    // The domain checks the permission the command needs against every role the user holds;
    // the record says which role that was.
    let role = command
        .permissions()
        .iter()
        .find_map(|p| actor.roles.granting(*p))
        .unwrap_or(actor.roles.first());
    let actor = &actor.acting_as(role);
    match &command {
        InvestigationCommand::AddEnquiry(e) => check_owner(app, &e.owner).await?,
        InvestigationCommand::ReassignEnquiry { owner, .. } => check_owner(app, owner).await?,
        _ => {}
    }
    // A CSI request from an incident goes in its log as well: what the caller was told to
    // preserve is part of the incident's record (issue 15, scenes of crime).
    let incident_note = match &command {
        InvestigationCommand::RequestCsi(request) => request.incident.map(|incident| {
            (
                IncidentId(incident),
                format!(
                    "CSI requested for crime: {} at {}. Forensic opportunities: {}. Preservation advice given: {}",
                    request.what,
                    request.location,
                    if request.forensic_opportunities.is_empty() {
                        "none named".to_owned()
                    } else {
                        request.forensic_opportunities.join("; ")
                    },
                    request.preservation_advice
                ),
            )
        }),
        _ => None,
    };
    crimes::decide_and_append(
        app,
        actor,
        id,
        idempotency,
        incident_note,
        |current, now| {
            controlroom_domain::investigation::decide(
                current,
                command,
                InvestigationContext {
                    who: &actor.username,
                    roles: &actor.roles,
                    now,
                    reference: &app.settings.reference,
                    time_zone: &app.settings.time_zone,
                },
            )
            .map_err(AppError::from)
        },
    )
    .await
}

/// The most crimes a work list reads at once: far more than a force keeps in investigation
/// at a time (the lists read only crimes still in work, `CrimeRow::in_work`). Were there ever
/// more, the lists say so (`WorkLists::truncated`) rather than silently drop the oldest.
const WORK_LIST_CRIMES: i64 = 20_000;

/// The crimes still in work (recorded, not finalised) and the finalised ones whose victim is
/// still owed word of the outcome, newest first, each folded from its events. The second
/// value is true when there were more than the lists read.
async fn open_crimes(app: &App) -> Result<(Vec<(Uuid, String, CrimeRecord)>, bool), AppError> {
    let rows = app
        .store
        .list_crimes(&CrimeFilter {
            in_work: true,
            limit: WORK_LIST_CRIMES + 1,
            ..CrimeFilter::default()
        })
        .await?;
    let truncated = rows.len() > usize::try_from(WORK_LIST_CRIMES).unwrap_or(usize::MAX);
    let mut crimes = Vec::with_capacity(rows.len());
    for row in rows
        .into_iter()
        .take(usize::try_from(WORK_LIST_CRIMES).unwrap_or(usize::MAX))
    {
        let id = Uuid::parse_str(&row.id)
            .map_err(|e| AppError::Corrupt(format!("crime id {}: {e}", row.id)))?;
        let records = app.store.stream(&crimes::crime_stream(id)).await?;
        // A row from before its column was filled (migration 28) may be finished: checked
        // on the state itself.
        if let Some(record) = crate::event_store::fold::<CrimeRecord>(&id, &records)?
            && record.in_work()
        {
            crimes.push((id, row.reference, record));
        }
    }
    Ok((crimes, truncated))
}

/// One line of a work list: the crime it is on and what is waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub crime: Uuid,
    pub reference: String,
    pub classification: String,
    pub stage: &'static str,
    /// What is waiting, in words (the enquiry, the CSI request, the key event).
    pub what: String,
    pub owner: Option<String>,
    /// When it is due (or booked for, on the CSI queue).
    pub due: Option<Timestamp>,
    pub overdue: bool,
}

/// The work lists a user may see: their own enquiries, the overdue list and the victims
/// awaiting an update (supervisors), the CSI queue (CSI and supervisors).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkLists {
    /// Crimes screened in and allocated to the user by name, still being investigated.
    pub allocated_to_me: Vec<WorkItem>,
    /// The user's own open enquiries, overdue first.
    pub my_enquiries: Vec<WorkItem>,
    /// Crimes that wait for screening or for the user's supervision.
    pub to_screen: Vec<WorkItem>,
    pub awaiting_review: Vec<WorkItem>,
    /// Every overdue enquiry (supervisors).
    pub overdue_enquiries: Vec<WorkItem>,
    /// Victims still to be told of a key event, the soonest due first: all of them for a
    /// supervisor, those on the crimes allocated to an investigator for them.
    pub victims_awaiting_update: Vec<WorkItem>,
    pub csi_queue: Vec<WorkItem>,
    /// Of the victim updates already given, how many were within the Code's time limit.
    pub updates_on_time: OnTimeShare,
    /// More crimes were in work than the lists read (`WORK_LIST_CRIMES`): the oldest are
    /// missing, and the page says so.
    pub truncated: bool,
}

/// The work lists for `actor`, at the clock's now. Reading them is audited.
pub async fn work_lists(app: &App, actor: &Actor) -> Result<WorkLists, AppError> {
    let may = |p: Permission| actor.roles.may(p);
    if !(may(Permission::Investigate)
        || may(Permission::AttendScenes)
        || may(Permission::SuperviseInvestigation))
    {
        return Err(AppError::Forbidden(
            "the investigation work lists are for investigators, CSI and supervisors".into(),
        ));
    }
    let now = app.now();
    let (crimes, truncated) = open_crimes(app).await?;
    let by_id: std::collections::HashMap<Uuid, (&String, &CrimeRecord)> = crimes
        .iter()
        .map(|(id, reference, r)| (*id, (reference, r)))
        .collect();
    let find = |id: Uuid| by_id.get(&id).map(|(reference, r)| (id, *reference, *r));
    let item = |crime: Uuid,
                what: String,
                owner: Option<String>,
                due: Option<Timestamp>,
                overdue: bool| {
        let (reference, classification, stage) = find(crime)
            .map(|(_, reference, r)| {
                (
                    reference.clone(),
                    r.classification.to_string(),
                    r.investigation.stage().as_str(),
                )
            })
            .unwrap_or_default();
        WorkItem {
            crime,
            reference,
            classification,
            stage,
            what,
            owner,
            due,
            overdue,
        }
    };
    let enquiries = || {
        crimes
            .iter()
            .map(|(id, _, r)| (*id, r.investigation.enquiries.as_slice()))
    };
    let enquiry_item = |q: enquiry::QueueItem<'_>| {
        let e: &EnquiryState = q.enquiry;
        item(
            q.crime,
            format!("{}: {}", e.enquiry.kind.as_str(), e.enquiry.description),
            Some(e.enquiry.owner.to_string()),
            Some(e.deadline()),
            q.overdue,
        )
    };
    let mut lists = WorkLists {
        truncated,
        ..WorkLists::default()
    };
    if may(Permission::Investigate) {
        lists.my_enquiries = enquiry::queue(enquiries(), &actor.username, now)
            .into_iter()
            .map(enquiry_item)
            .collect();
    }
    // Screened in to this user by name: theirs to investigate, and theirs to keep the
    // victim informed on, whatever stage it has reached since.
    let mine = |r: &CrimeRecord| {
        r.investigation.current_screening().is_some_and(|s| {
            matches!(
                &s.screening.decision,
                ScreeningDecision::ScreenIn {
                    allocation: Allocation::Person { investigator },
                } if investigator == &actor.username
            )
        })
    };
    if may(Permission::Investigate) {
        lists.allocated_to_me = crimes
            .iter()
            .filter(|(_, _, r)| r.investigation.stage() == Stage::UnderInvestigation && mine(r))
            .map(|(id, _, _)| item(*id, "allocated to you".into(), None, None, false))
            .collect();
    }
    if may(Permission::ScreenCrime) {
        lists.to_screen = crimes
            .iter()
            .filter(|(_, _, r)| r.investigation.stage() == Stage::Unscreened)
            .map(|(id, _, _)| item(*id, "to screen".into(), None, None, false))
            .collect();
    }
    if may(Permission::SuperviseInvestigation) {
        lists.awaiting_review = crimes
            .iter()
            .filter(|(_, _, r)| {
                matches!(
                    r.investigation.stage(),
                    Stage::FilingAwaitingApproval | Stage::FinalisationAwaitingReview
                )
            })
            .map(|(id, _, r)| {
                item(
                    *id,
                    r.investigation.stage().as_str().replace('_', " "),
                    None,
                    None,
                    false,
                )
            })
            .collect();
        lists.overdue_enquiries = enquiry::overdue(enquiries(), now)
            .into_iter()
            .map(enquiry_item)
            .collect();
    }
    // Victims owed word of a key event: every one for a supervisor, those on the crimes
    // allocated to an investigator for them (they are the ones who make the call).
    let supervisor = may(Permission::SuperviseInvestigation);
    if supervisor || may(Permission::Investigate) {
        let deadlines = || {
            crimes
                .iter()
                .filter(|(_, _, r)| supervisor || mine(r))
                .map(|(id, _, r)| (*id, r.investigation.deadlines.as_slice()))
        };
        lists.victims_awaiting_update = victims::awaiting_update(deadlines(), now)
            .into_iter()
            .map(|a| {
                item(
                    a.crime,
                    format!(
                        "tell the victim: {}",
                        a.deadline.kind.as_str().replace('_', " ")
                    ),
                    None,
                    Some(a.deadline.due_before),
                    a.overdue,
                )
            })
            .collect();
        lists.updates_on_time = victims::on_time_share(
            crimes
                .iter()
                .filter(|(_, _, r)| supervisor || mine(r))
                .flat_map(|(_, _, r)| r.investigation.deadlines.iter())
                .collect::<Vec<&DeadlineState>>(),
        );
    }
    if may(Permission::AttendScenes) || may(Permission::SuperviseInvestigation) {
        lists.csi_queue = csi::queue(
            crimes
                .iter()
                .map(|(id, _, r)| (*id, r.investigation.csi.as_slice())),
        )
        .into_iter()
        .map(|q| {
            let r: &CsiState = q.request;
            item(
                q.crime,
                format!("{} at {}", r.request.what, r.request.location),
                None,
                match &r.status {
                    csi::CsiStatus::Booked { diary_time, .. } => Some(*diary_time),
                    _ => None,
                },
                false,
            )
        })
        .collect();
    }
    record_access(
        app,
        actor,
        "investigation_work_lists".to_owned(),
        "investigation_work_lists_viewed",
        json!({
            "crimes": crimes.iter().map(|(_, reference, _)| reference.as_str()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(lists)
}

/// Whose name is on an enquiry must be a user of this system.
async fn check_owner(app: &App, owner: &Username) -> Result<(), AppError> {
    if app.store.user(owner).await?.is_none() {
        return Err(AppError::Invalid(controlroom_domain::Invalid::new(
            "owner",
            format!("there is no user '{owner}' to give the enquiry to"),
        )));
    }
    Ok(())
}
