//! Working an incident once it exists: read it (audited), list them (audited), write to its
//! log, grade, close and reopen. Every change goes through [`run`]: lock, load, decide,
//! append, project, commit.

use crate::idempotency::{earlier, remember};
use crate::records::{
    access_record, incident_row, incident_stream, load_incident, micros, rebuild, record_access,
};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::Invalid;
use controlroom_domain::contact::ContactId;
use controlroom_domain::incident::{
    Grade, Incident, IncidentCommand, IncidentEvent, IncidentId, Stamped, Status, decide,
};
use controlroom_domain::roles::Permission;
/// A row of the incident list, as the list reads it (the read model of `GET /incidents`).
pub use controlroom_store::IncidentRow;
use controlroom_store::{IncidentFilter, WriteTx};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The state an incident was left in by a change, and what the change created.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentOutcome {
    pub incident: Incident,
    pub created: Created,
    /// True when this is the stored answer to an earlier request with the same key.
    pub replayed: bool,
}

/// What a change created on the incident: the contact it joined, the log entry it wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Created {
    pub contact_id: Option<ContactId>,
    pub log_entry: Option<u32>,
}

impl IncidentOutcome {
    /// The incident as a change left it, with nothing created (a grade, a close).
    pub fn of(incident: Incident) -> Self {
        Self::new(incident, Created::default())
    }

    fn new(incident: Incident, created: Created) -> Self {
        Self {
            incident,
            created,
            replayed: false,
        }
    }

    fn remembered(&self) -> Remembered {
        Remembered {
            incident_id: self.incident.id,
            version: self.incident.version,
            created: self.created,
        }
    }
}

/// What is kept for an idempotent retry: enough to rebuild the first answer exactly, since
/// events never change. Stored as it always was, the created ids beside the incident's.
#[derive(Debug, Serialize, Deserialize)]
struct Remembered {
    incident_id: IncidentId,
    version: u64,
    #[serde(flatten)]
    created: Created,
}

/// The first answer to a retried request, rebuilt from the events as they stood then.
pub(crate) async fn earlier_outcome(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    idempotency: Option<&Idempotency>,
) -> Result<Option<IncidentOutcome>, AppError> {
    let Some(first) = earlier::<Remembered>(tx, actor, idempotency).await? else {
        return Ok(None);
    };
    let records = tx.stream(&incident_stream(first.incident_id)).await?;
    let incident = rebuild(&records, Some(first.version))?
        .ok_or_else(|| AppError::Corrupt("a remembered incident has no events".into()))?;
    Ok(Some(IncidentOutcome {
        incident,
        created: first.created,
        replayed: true,
    }))
}

/// Append decided events to an incident's stream inside `tx`, fold them into `state` and
/// update the listing projection. Returns the new state, the contact joined and the log entry
/// written, if any. Does not commit.
pub(crate) async fn append_events(
    tx: &mut dyn WriteTx,
    app: &App,
    actor: &Actor,
    at: jiff::Timestamp,
    mut state: Option<Incident>,
    events: Vec<IncidentEvent>,
) -> Result<(Incident, Option<ContactId>, Option<u32>, i64), AppError> {
    let mut contact_id = None;
    let mut last_seq = 0;
    let mut log_entry = None;
    let mut events: std::collections::VecDeque<IncidentEvent> = events.into();
    // What the search index holds of the incident, as each event leaves it.
    let mut indexed = state.as_ref().map(crate::intelligence::incident_document);
    while let Some(event) = events.pop_front() {
        match &event {
            IncidentEvent::ContactJoined { contact } => contact_id = Some(contact.id),
            IncidentEvent::LogEntryAdded { number, .. } => log_entry = Some(*number),
            _ => {}
        }
        let stamped = Stamped {
            at,
            by: actor.username.clone(),
            event,
        };
        let index = state
            .as_ref()
            .map_or(0, |s| usize::try_from(s.version).unwrap_or(usize::MAX));
        let next = Incident::apply(state, &stamped, index)
            .map_err(|e| AppError::Corrupt(e.to_string()))?;
        let mut record =
            crate::event_store::change_record::<Incident>(&next.id, &stamped.event, actor, at)?;
        // A change the search index would not see (a log entry, a dispatch) need not be
        // waited for by the writer's next search.
        let document = crate::intelligence::incident_document(&next);
        record.searchable = indexed.as_ref() != Some(&document);
        indexed = Some(document);
        last_seq = tx.append(record).await?;
        // NCRS: the change that first makes the incident a report of crime starts its
        // recording clock, recorded as an event so later changes cannot stop it.
        if events.is_empty()
            && let Some(started) =
                controlroom_domain::ncrs::crime_report_started(&next, &app.settings.reference)
        {
            events.push_back(started);
        }
        state = Some(next);
    }
    let incident =
        state.ok_or_else(|| AppError::Corrupt("a change produced no incident".into()))?;
    tx.save_incident_row(&incident_row(&incident)).await?;
    Ok((incident, contact_id, log_entry, last_seq))
}

/// After commit: index the incident at once (`seq`: the last audit record the change wrote,
/// so the index's catch-up need not fold this stream again). The live consoles hear of it
/// from the log (`follow`), like those of every other server.
pub(crate) fn after_commit(app: &App, incident: &Incident, seq: i64) {
    // Committed, so this state is the stream's up to `seq`: the next command starts here.
    if seq > 0 {
        app.remember_incident(incident, seq);
    }
    crate::intelligence::index_incident(app, incident);
    app.note_indexed_here(&incident_stream(incident.id), seq);
}

/// Append `events` (already decided) to the incident's stream, fold them into `state`, update
/// the listing projection and remember the answer for the idempotency key. Commits.
pub(crate) async fn record(
    app: &App,
    mut tx: Box<dyn WriteTx>,
    actor: &Actor,
    state: Option<Incident>,
    events: Vec<IncidentEvent>,
    idempotency: Option<&Idempotency>,
) -> Result<IncidentOutcome, AppError> {
    let at = app.now();
    let (incident, contact_id, log_entry, seq) =
        append_events(tx.as_mut(), app, actor, at, state, events).await?;
    let created = Created {
        contact_id,
        log_entry,
    };
    let outcome = IncidentOutcome::new(incident, created);
    remember(tx.as_mut(), actor, idempotency, &outcome.remembered(), at).await?;
    tx.commit().await?;
    after_commit(app, &outcome.incident, seq);
    Ok(outcome)
}

/// This incident is the same event as `master`: its callers join the master incident and it is
/// closed as a duplicate, both in one transaction, so the event is counted once (NSIR).
pub async fn mark_duplicate(
    request: IncidentRequest<'_>,
    master: IncidentId,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::CloseIncident, "close incidents as duplicates")?;
    let (app, actor, id, idempotency) = allowed.parts();
    if id == master {
        return Err(controlroom_domain::Invalid::new(
            "of",
            "an incident cannot be a duplicate of itself",
        )
        .into());
    }
    let (mut tx, current) = match allowed.begin().await? {
        Begun::Retried(first) => return Ok(first),
        Begun::Current(tx, current) => (tx, current),
    };
    let main = load_incident(app, tx.as_mut(), master)
        .await?
        .ok_or_else(|| {
            controlroom_domain::Invalid::new("of", format!("there is no incident with id {master}"))
        })?;
    let close = decide(
        Some(&current),
        IncidentCommand::CloseAsDuplicate {
            of: main.reference.clone(),
        },
    )?;
    let mut joins = Vec::new();
    let mut probe = main.clone();
    for contact in current
        .contacts
        .iter()
        .filter(|c| main.contact(c.id).is_none())
    {
        let events = decide(
            Some(&probe),
            IncidentCommand::JoinContact {
                contact: contact.clone(),
            },
        )?;
        for event in &events {
            probe = self::probe(app, actor, probe, event)?;
        }
        joins.extend(events);
    }
    let at = app.now();
    let (main, _, _, main_seq) =
        append_events(tx.as_mut(), app, actor, at, Some(main), joins).await?;
    let (duplicate, _, _, duplicate_seq) =
        append_events(tx.as_mut(), app, actor, at, Some(current), close).await?;
    let outcome = IncidentOutcome::of(duplicate);
    remember(tx.as_mut(), actor, idempotency, &outcome.remembered(), at).await?;
    tx.commit().await?;
    after_commit(app, &main, main_seq);
    after_commit(app, &outcome.incident, duplicate_seq);
    Ok(outcome)
}

fn not_found(id: IncidentId) -> AppError {
    AppError::NotFound(format!("there is no incident with id {id}"))
}

/// Run a command against an existing incident, for a use case that checked the actor's role
/// itself.
pub(crate) async fn run(
    app: &App,
    actor: &Actor,
    id: IncidentId,
    command: IncidentCommand,
    idempotency: Option<&Idempotency>,
) -> Result<IncidentOutcome, AppError> {
    let request = IncidentRequest {
        app,
        actor,
        id,
        idempotency,
    };
    let allowed = Allowed {
        request,
        actor: actor.clone(),
    };
    allowed.run(command).await
}

/// A change asked of one incident: by whom, to which, and under which idempotency key. Every
/// command on an existing incident starts from one, so the use cases take it whole rather
/// than each taking and passing on the same four things.
#[derive(Clone, Copy)]
pub struct IncidentRequest<'a> {
    pub app: &'a App,
    pub actor: &'a Actor,
    pub id: IncidentId,
    pub idempotency: Option<&'a Idempotency>,
}

/// An [`IncidentRequest`] a role allows, acting under that role (see [`Actor::require`]).
pub(crate) struct Allowed<'a> {
    pub request: IncidentRequest<'a>,
    pub actor: Actor,
}

impl<'a> IncidentRequest<'a> {
    /// Checked first, before the input is parsed: a user who may not do this learns that, not
    /// what was wrong with what they sent.
    pub(crate) fn require(
        self,
        permission: Permission,
        doing: &str,
    ) -> Result<Allowed<'a>, AppError> {
        let actor = self.actor.require(permission, doing)?;
        Ok(Allowed {
            request: self,
            actor,
        })
    }
}

/// How a change to an incident starts, under the write lock.
enum Begun {
    /// A retry: the answer the first request got.
    Retried(IncidentOutcome),
    /// The transaction, and the incident as it stands in it.
    Current(Box<dyn WriteTx>, Incident),
}

impl Allowed<'_> {
    /// For a use case that writes more than one command on the one incident: the app, the
    /// actor acting under the allowing role, the incident and the key.
    pub(crate) fn parts(&self) -> (&App, &Actor, IncidentId, Option<&Idempotency>) {
        let r = &self.request;
        (r.app, &self.actor, r.id, r.idempotency)
    }

    /// Take the write lock, then answer a retry as the first time, or load the incident.
    async fn begin(&self) -> Result<Begun, AppError> {
        let (app, actor, id, idempotency) = self.parts();
        let mut tx = app.store.begin().await?;
        if let Some(first) = earlier_outcome(tx.as_mut(), actor, idempotency).await? {
            return Ok(Begun::Retried(first));
        }
        let current = load_incident(app, tx.as_mut(), id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(Begun::Current(tx, current))
    }

    pub(crate) async fn run(&self, command: IncidentCommand) -> Result<IncidentOutcome, AppError> {
        self.run_with(|_| Ok(command)).await
    }

    /// Run a command that depends on the incident's current state (a grade checked against
    /// the recommendation, a close checked against the standards), built under the write lock.
    pub(crate) async fn run_with(
        &self,
        command: impl FnOnce(&Incident) -> Result<IncidentCommand, AppError>,
    ) -> Result<IncidentOutcome, AppError> {
        let (tx, current) = match self.begin().await? {
            Begun::Retried(first) => return Ok(first),
            Begun::Current(tx, current) => (tx, current),
        };
        let (app, actor, _, idempotency) = self.parts();
        let events = decide(Some(&current), command(&current)?)?;
        record(app, tx, actor, Some(current), events, idempotency).await
    }
}

pub async fn add_log_entry(
    request: IncidentRequest<'_>,
    text: &str,
    corrects: Option<u32>,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::WriteIncidentLog, "write to incident logs")?;
    allowed
        .run(IncidentCommand::add_log_entry(text, corrects)?)
        .await
}

/// Grade the incident. The grade is checked against the recommendation worked out from what
/// is recorded; choosing a lower grade needs `override_reason`, and is recorded as an override.
pub async fn grade(
    request: IncidentRequest<'_>,
    grade: &str,
    rationale: &str,
    override_reason: Option<&str>,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::GradeIncident, "grade incidents")?;
    let app = request.app;
    let IncidentCommand::Grade {
        grade, rationale, ..
    } = IncidentCommand::grade(grade, rationale)?
    else {
        return Err(AppError::Corrupt("grade command".into()));
    };
    allowed
        .run_with(|incident| {
            let recommended = crate::first_contact::recommendation(app, incident);
            controlroom_domain::grading::check_ready_to_grade(
                grade,
                &recommended,
                &app.settings.reference.policy,
            )?;
            let override_reason =
                controlroom_domain::grading::check_override(grade, &recommended, override_reason)?;
            let area = incident
                .contacts
                .first()
                .map(|c| c.location.area)
                .unwrap_or_default();
            Ok(IncidentCommand::Grade {
                grade,
                rationale,
                recommended: recommended.grade,
                override_reason,
                attendance_target_minutes: app
                    .settings
                    .reference
                    .policy
                    .target_minutes(grade, area),
            })
        })
        .await
}

/// What a handler closes with.
#[derive(Debug, Clone, Default)]
pub struct CloseInput {
    pub closing_code: Option<String>,
    pub qualifiers: Vec<String>,
    pub resolution: String,
    pub final_incident_type: Option<String>,
    pub crime_reference: Option<String>,
    pub non_crime_rationale: Option<String>,
    pub outcome: Option<String>,
}

/// Close the incident. Every inconsistency with the national standards is reported at once,
/// each with the rule it breaks, and nothing is recorded until they are all put right.
pub async fn close(
    request: IncidentRequest<'_>,
    input: CloseInput,
) -> Result<IncidentOutcome, AppError> {
    use controlroom_domain::text::{Code, optional_text};
    let allowed = request.require(Permission::CloseIncident, "close incidents")?;
    let IncidentCommand::Close {
        closing_code,
        qualifiers,
        resolution,
        ..
    } = IncidentCommand::close(
        input.closing_code.as_deref(),
        &input.qualifiers,
        &input.resolution,
    )?
    else {
        return Err(AppError::Corrupt("close command".into()));
    };
    let details = controlroom_domain::incident::ClosureDetails {
        final_incident_type: optional_text(
            "final_incident_type",
            input.final_incident_type.as_deref(),
            Code::MAX_LEN,
        )?
        .map(|t| Code::parse("final_incident_type", &t))
        .transpose()?,
        crime_reference: optional_text(
            "crime_reference",
            input.crime_reference.as_deref(),
            controlroom_domain::limits::CRIME_REFERENCE,
        )?,
        non_crime_rationale: optional_text(
            "non_crime_rationale",
            input.non_crime_rationale.as_deref(),
            controlroom_domain::limits::RATIONALE,
        )?,
        outcome: input
            .outcome
            .as_deref()
            .filter(|o| !o.trim().is_empty())
            .map(controlroom_domain::incident::RwdOutcome::parse)
            .transpose()?,
    };
    // The incident's referrals, read before its transaction: a referral only ever becomes more
    // settled (sent, acknowledged, not made), never less, so one read before the close cannot
    // let through a close the rules would refuse.
    let referrals = crate::referrals::stored(
        request.app,
        &controlroom_domain::tasking::BelongsTo::Incident(request.id),
    )
    .await?;
    allowed
        .run_with(|incident| {
            let close = controlroom_domain::closure::CloseRequest {
                closing_code: &closing_code,
                qualifiers: &qualifiers,
                details: &details,
            };
            // An incident that cannot be closed at all is refused for that reason first.
            if matches!(incident.status, Status::Open | Status::Closed) {
                return Ok(IncidentCommand::Close {
                    closing_code,
                    qualifiers,
                    resolution,
                    details,
                });
            }
            let problems = controlroom_domain::closure::check_with_referrals(
                incident,
                close,
                &request.app.settings.reference,
                &referrals,
            );
            if !problems.is_empty() {
                return Err(AppError::Inconsistent(problems));
            }
            Ok(IncidentCommand::Close {
                closing_code,
                qualifiers,
                resolution,
                details,
            })
        })
        .await
}

pub async fn reopen(
    request: IncidentRequest<'_>,
    reason: &str,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::ReopenIncident, "reopen incidents")?;
    allowed.run(IncidentCommand::reopen(reason)?).await
}

/// Read one incident with its contacts, log and history. The read itself is recorded.
pub async fn view(app: &App, actor: &Actor, id: IncidentId) -> Result<Incident, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "view incidents")?;
    let mut tx = app.store.begin().await?;
    let incident = load_incident(app, tx.as_mut(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.append(access_record(
        incident_stream(id),
        "incident_viewed",
        actor,
        app.now(),
        json!({ "reference": incident.reference.as_str(), "version": incident.version }),
    ))
    .await?;
    tx.commit().await?;
    Ok(incident)
}

/// How many incidents a list holds when the query names no limit, and at the most.
pub const LIST_DEFAULT_LIMIT: u32 = 100;
pub const LIST_MAX_LIMIT: u32 = controlroom_domain::limits::INCIDENT_LIST as u32;

/// Which incidents to list, from query text: comma-separated statuses and grades (each
/// checked, then kept as its canonical name), RFC 3339 times and a limit.
pub fn list_filter(
    status: Option<&str>,
    grade: Option<&str>,
    opened_from: Option<&str>,
    opened_before: Option<&str>,
    limit: Option<u32>,
) -> Result<IncidentFilter, Invalid> {
    let list = |raw: Option<&str>| -> Vec<String> {
        raw.map(|r| {
            r.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
    };
    let time = |field: &str, raw: Option<&str>| -> Result<Option<i64>, Invalid> {
        raw.filter(|r| !r.trim().is_empty())
            .map(|r| controlroom_domain::text::parse_time(field, r).map(micros))
            .transpose()
    };
    let limit = limit.unwrap_or(LIST_DEFAULT_LIMIT);
    if limit == 0 || limit > LIST_MAX_LIMIT {
        return Err(Invalid::new(
            "limit",
            format!("must be between 1 and {LIST_MAX_LIMIT}"),
        ));
    }
    Ok(IncidentFilter {
        statuses: list(status)
            .iter()
            .map(|s| Status::parse(s).map(|s| s.as_str().to_owned()))
            .collect::<Result<_, _>>()?,
        grades: list(grade)
            .iter()
            .map(|g| Grade::parse(g).map(|g| g.as_str().to_owned()))
            .collect::<Result<_, _>>()?,
        opened_from_micros: time("opened_from", opened_from)?,
        opened_before_micros: time("opened_before", opened_before)?,
        recording: None,
        limit: i64::from(limit),
    })
}

/// Open the live feed of incident changes. Recorded as a consultation: the feed carries
/// places and what callers said.
pub async fn watch(
    app: &App,
    actor: &Actor,
) -> Result<tokio::sync::broadcast::Receiver<crate::live::LiveChange>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "view incidents")?;
    let receiver = app.live.subscribe();
    record_access(
        app,
        actor,
        "incidents".to_owned(),
        "live_feed_opened",
        json!({}),
    )
    .await?;
    Ok(receiver)
}

/// `state` with `event` applied as though it happened now: what a decision that follows
/// another in the same change is made against.
pub(crate) fn probe(
    app: &App,
    actor: &Actor,
    state: Incident,
    event: &IncidentEvent,
) -> Result<Incident, AppError> {
    let stamped = Stamped {
        at: app.now(),
        by: actor.username.clone(),
        event: event.clone(),
    };
    Incident::apply(Some(state), &stamped, 0).map_err(|e| AppError::Corrupt(e.to_string()))
}

/// List incidents, newest first. Recorded as a consultation: the list shows places and what
/// callers said.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &IncidentFilter,
) -> Result<Vec<IncidentRow>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "view incidents")?;
    let rows = app.store.list_incidents(filter).await?;
    record_access(
        app,
        actor,
        "incidents".to_owned(),
        "incidents_listed",
        json!({
            "statuses": filter.statuses,
            "grades": filter.grades,
            "references": rows.iter().map(|r| r.reference.as_str()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_lists_times_and_limits() {
        let q = list_filter(
            Some("open, graded"),
            Some("emergency"),
            Some("2026-11-23T00:00:00Z"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(q.statuses, ["open", "graded"]);
        assert_eq!(q.grades, ["emergency"]);
        assert!(q.opened_from_micros.is_some());
        assert_eq!(q.limit, i64::from(LIST_DEFAULT_LIMIT));
        assert_eq!(
            list_filter(Some("opne"), None, None, None, None)
                .unwrap_err()
                .field,
            "status"
        );
        assert_eq!(
            list_filter(None, None, Some("yesterday"), None, None)
                .unwrap_err()
                .field,
            "opened_from"
        );
        assert_eq!(
            list_filter(None, None, None, None, Some(0))
                .unwrap_err()
                .field,
            "limit"
        );
    }
}
