//! Crime recording (NCRS and the Home Office Counting Rules): record a crime from an incident,
//! read it (audited, it names people), reclassify it, and remove it only with the force crime
//! registrar's approval (HOCR Section C). A crime record is an event stream `crime/{id}` in
//! the audit chain, like an incident, so its history cannot be quietly rewritten.

use crate::event_store;
use crate::idempotency::{earlier, remember};
use crate::incidents::{IncidentRequest, after_commit, append_events};
use crate::records::{load_incident, micros, record_access};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::Invalid;
use controlroom_domain::aggregate::{Aggregate, Decide};
use controlroom_domain::audit::AuditRecord;
use controlroom_domain::crime::{
    CrimeCommand, CrimeContext, CrimeError, CrimeEvent, CrimeRecord, Party, Recording,
};
use controlroom_domain::incident::{self, IncidentCommand, IncidentId};
use controlroom_domain::ncrs::CancellationRefused;
use controlroom_domain::pole::{Kind, LinkRole, RecordRef};
use controlroom_domain::roles::Permission;
use controlroom_domain::text::Code;
pub use controlroom_store::CrimeRow;
use controlroom_store::{CrimeFilter, WriteTx};
use jiff::Timestamp;
use serde_json::json;
use uuid::Uuid;

pub fn crime_stream(id: Uuid) -> String {
    CrimeRecord::stream(&id).to_string()
}

impl From<CrimeError> for AppError {
    fn from(err: CrimeError) -> Self {
        match err {
            CrimeError::Invalid(message) => AppError::Invalid(Invalid::new("crime", message)),
            CrimeError::NotPermitted => {
                AppError::Forbidden("your role may not change crime records".into())
            }
            CrimeError::Refused(CancellationRefused::NoRationale) => {
                AppError::Invalid(Invalid::new("rationale", err.to_string()))
            }
            CrimeError::Refused(CancellationRefused::AlreadyCancelled) => {
                AppError::Conflict(err.to_string())
            }
            CrimeError::Refused(_) => AppError::Forbidden(err.to_string()),
            CrimeError::Corrupt(what) => AppError::Corrupt(what.into()),
        }
    }
}

/// What the recorder enters. Times are RFC 3339.
#[derive(Debug, Clone, Default)]
pub struct CrimeDraft {
    pub classification: String,
    /// (person record id, role: victim, suspect or witness).
    pub parties: Vec<(String, String)>,
    pub offence_from: String,
    pub offence_to: Option<String>,
    /// Defaults to where the first caller said it happened.
    pub location: Option<String>,
    pub modus_operandi: String,
}

fn time(field: &str, raw: &str) -> Result<Timestamp, AppError> {
    Ok(controlroom_domain::text::parse_time(field, raw)?)
}

/// The crime's row in the crime list, from its state.
pub fn crime_row(id: Uuid, record: &CrimeRecord) -> CrimeRow {
    let r = &record.recording;
    CrimeRow {
        id: id.to_string(),
        reference: r.reference.clone(),
        classification: record.classification.to_string(),
        status: record.status().to_owned(),
        reported_at_micros: micros(r.reported_at),
        recorded_at_micros: micros(record.recorded_at),
        recorded_by: record.recorded_by.to_string(),
        incident_id: r.incidents.first().map(Uuid::to_string),
        location_text: r.location.clone(),
        last_changed_at_micros: micros(record.last_changed_at),
        version: i64::try_from(record.version).unwrap_or(i64::MAX),
        in_work: record.in_work(),
    }
}

/// The crime in the intelligence index, and a link from each person on it, so a check on
/// a victim, suspect or witness shows the crime in their history.
pub(crate) fn crime_documents(
    id: Uuid,
    record: &CrimeRecord,
    reference: &controlroom_domain::reference::ReferenceData,
) -> Vec<controlroom_search::IndexDoc> {
    use controlroom_search::IndexDoc;
    let recorded_at_micros = micros(record.recorded_at);
    let mut docs = vec![IndexDoc::Crime {
        id: id.to_string(),
        reference: record.recording.reference.clone(),
        classification: record.classification.to_string(),
        offence: reference
            .offence(record.classification.as_str())
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        recorded_at_micros,
        status: record.status().to_owned(),
    }];
    docs.extend(
        record
            .recording
            .parties
            .iter()
            .enumerate()
            .map(|(i, party)| IndexDoc::Link {
                id: format!("{}#party{i}", crime_stream(id)),
                from: party.record.id.to_string(),
                to: id.to_string(),
                role: party.role.as_str().to_owned(),
                at_micros: recorded_at_micros,
            }),
    );
    docs
}

/// Keep the index in step after a committed change; the store is the truth, so a failure is
/// logged and `controlroom reindex` repairs it.
fn index_crime(app: &App, id: Uuid, record: &CrimeRecord) {
    if let Ok(index) = app.search()
        && let Err(e) = index.upsert(&crime_documents(id, record, &app.settings.reference))
    {
        tracing::warn!(error = %e, "crime saved but not indexed; run controlroom reindex");
    }
}

/// Rebuild a crime from its stored records (for verification and reindexing).
pub(crate) fn rebuild(id: Uuid, records: &[AuditRecord]) -> Result<Option<CrimeRecord>, AppError> {
    event_store::fold(&id, records)
}

/// A crime record and its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Crime {
    pub id: Uuid,
    pub record: CrimeRecord,
    /// The references of the incidents it was recorded from (`20261130-0012`), as a person
    /// reads them; empty for a crime reported directly.
    pub incident_references: Vec<String>,
    /// The first answer to a retried request (same `Idempotency-Key`): nothing new recorded.
    pub replayed: bool,
}

/// The references of the crime's incidents, read in `tx`.
async fn incident_references(
    app: &App,
    tx: &mut dyn WriteTx,
    record: &CrimeRecord,
) -> Result<Vec<String>, AppError> {
    let mut references = Vec::new();
    for id in &record.recording.incidents {
        if let Some(incident) = load_incident(app, tx, IncidentId(*id)).await? {
            references.push(incident.reference.to_string());
        }
    }
    Ok(references)
}

/// What is remembered for an `Idempotency-Key` on recording a crime.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct RememberedCrime {
    crime_id: Uuid,
}

/// What a change to a crime remembers for a retry: the crime, and how many of its records
/// there were once the change was made.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct RememberedChange {
    crime_id: Uuid,
    records: usize,
}

/// The crime a retried request recorded the first time, if this is a retry.
async fn earlier_crime(
    app: &App,
    tx: &mut dyn WriteTx,
    actor: &Actor,
    idempotency: Option<&Idempotency>,
) -> Result<Option<Crime>, AppError> {
    let Some(first) = earlier::<RememberedCrime>(tx, actor, idempotency).await? else {
        return Ok(None);
    };
    // The first answer: the crime as it was recorded, before any later change.
    let records = tx.stream(&crime_stream(first.crime_id)).await?;
    let recorded = records.get(..1).unwrap_or_default();
    let record = event_store::fold::<CrimeRecord>(&first.crime_id, recorded)?
        .ok_or_else(|| AppError::Corrupt("a remembered crime has no events".into()))?;
    let incident_references = incident_references(app, tx, &record).await?;
    Ok(Some(Crime {
        id: first.crime_id,
        record,
        incident_references,
        replayed: true,
    }))
}

/// The recorder's entry parsed once: classification, people, offence period, how it was done.
struct Parsed {
    classification: Code,
    parties: Vec<Party>,
    offence_from: Timestamp,
    offence_to: Option<Timestamp>,
    modus_operandi: String,
}

fn parse_draft(draft: &CrimeDraft) -> Result<Parsed, AppError> {
    use controlroom_domain::limits::{self, check_items, check_length};
    check_items("parties", draft.parties.len(), limits::PARTIES)?;
    check_length(
        "location",
        draft.location.as_deref().unwrap_or_default(),
        limits::ADDRESS,
    )?;
    check_length("modus_operandi", &draft.modus_operandi, limits::NARRATIVE)?;
    let classification = Code::parse("classification", &draft.classification)?;
    let offence_from = time("offence_from", &draft.offence_from)?;
    let offence_to = draft
        .offence_to
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| time("offence_to", s))
        .transpose()?;
    let mut parties = Vec::new();
    for (id, role) in &draft.parties {
        let id: Uuid = id.trim().parse().map_err(|_| {
            AppError::Invalid(Invalid::new(
                "parties",
                format!("'{id}' is not a person record id"),
            ))
        })?;
        let role = LinkRole::parse(role)?;
        if !matches!(
            role,
            LinkRole::Victim | LinkRole::Suspect | LinkRole::Witness
        ) {
            return Err(AppError::Invalid(Invalid::new(
                "parties",
                "a crime links people as victim, suspect or witness",
            )));
        }
        parties.push(Party {
            record: RecordRef {
                kind: Kind::Person,
                id,
            },
            role,
        });
    }
    Ok(Parsed {
        classification,
        parties,
        offence_from,
        offence_to,
        modus_operandi: draft.modus_operandi.trim().to_owned(),
    })
}

async fn check_people(tx: &mut dyn WriteTx, parties: &[Party]) -> Result<(), AppError> {
    for party in parties {
        if tx.stream(&party.record.stream()).await?.is_empty() {
            return Err(AppError::NotFound(format!(
                "there is no person record {}; record the person first",
                party.record.id
            )));
        }
    }
    Ok(())
}

/// Where a new crime comes from: its incidents (none for a direct report), when and where.
struct Origin {
    incidents: Vec<Uuid>,
    reported_at: Timestamp,
    location: String,
}

/// Number the crime, decide it and append its events; returns its id and state. Does not
/// commit.
async fn record_new(
    app: &App,
    tx: &mut dyn WriteTx,
    actor: &Actor,
    now: Timestamp,
    parsed: Parsed,
    origin: Origin,
) -> Result<(Uuid, CrimeRecord), AppError> {
    let Origin {
        incidents,
        reported_at,
        location,
    } = origin;
    check_people(tx, &parsed.parties).await?;
    let year = now.to_zoned(app.settings.time_zone.clone()).year();
    let number = tx.next_crime_number(year).await?;
    let recording = Recording {
        reference: format!("CR-{year}-{number:06}"),
        classification: parsed.classification,
        incidents,
        parties: parsed.parties,
        offence_from: parsed.offence_from,
        offence_to: parsed.offence_to,
        reported_at,
        location,
        modus_operandi: parsed.modus_operandi,
    };
    let command = CrimeCommand::Record(recording);
    command.check_lengths()?;
    let events = CrimeRecord::decide(
        None,
        command,
        CrimeContext {
            who: &actor.username,
            role: actor.role_in_use().unwrap_or(actor.roles.first()),
            now,
            reference: &app.settings.reference,
        },
    )?;
    let id = Uuid::now_v7();
    let (record, _) = event_store::append(tx, &id, None, 0, &events, actor, now).await?;
    tx.save_crime_row(&crime_row(id, &record)).await?;
    Ok((id, record))
}

/// Record a crime from an incident. The NCRS clock runs from when the incident's first
/// contact reached the police, so that is the crime's report time.
pub async fn record_from_incident(
    request: IncidentRequest<'_>,
    draft: CrimeDraft,
) -> Result<Crime, AppError> {
    let allowed = request.require(Permission::RecordCrime, "record crimes")?;
    let (app, actor, incident_id, idempotency) = allowed.parts();
    let parsed = parse_draft(&draft)?;
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if let Some(first) = earlier_crime(app, tx.as_mut(), actor, idempotency).await? {
        return Ok(first);
    }
    let incident = load_incident(app, tx.as_mut(), incident_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {incident_id}")))?;
    let first = incident.contacts.first();
    let reported_at = first.map_or(incident.opened_at, |c| c.received_at);
    let location = draft
        .location
        .filter(|l| !l.trim().is_empty())
        .or_else(|| first.map(|c| c.location.text.clone()))
        .unwrap_or_default();
    let origin = Origin {
        incidents: vec![incident_id.0],
        reported_at,
        location,
    };
    let (id, record) = record_new(app, tx.as_mut(), actor, now, parsed, origin).await?;
    // The incident's side of the link, in the same transaction: it stops the NCRS clock and
    // lets the incident list its crimes.
    let link = incident::decide(
        Some(&incident),
        IncidentCommand::LinkCrime {
            crime_id: id,
            reference: record.recording.reference.clone(),
            classification: record.recording.classification.clone(),
        },
    )?;
    let (incident, _, _, seq) =
        append_events(tx.as_mut(), app, actor, now, Some(incident), link).await?;
    let first = RememberedCrime { crime_id: id };
    remember(tx.as_mut(), actor, idempotency, &first, now).await?;
    tx.commit().await?;
    after_commit(app, &incident, seq);
    index_crime(app, id, &record);
    Ok(Crime {
        id,
        record,
        incident_references: vec![incident.reference.to_string()],
        replayed: false,
    })
}

/// Record a crime reported directly, with no incident: an online report, a statement taken at
/// the front counter, a referral. Recording it is the NCRS decision, so no clock waits; the
/// report time is when the report reached the police, and the place must be given.
pub async fn record_direct(
    app: &App,
    actor: &Actor,
    draft: CrimeDraft,
    reported_at: &str,
    idempotency: Option<&Idempotency>,
) -> Result<Crime, AppError> {
    let actor = &actor.require(Permission::RecordCrime, "record crimes")?;
    let parsed = parse_draft(&draft)?;
    let reported_at = time("reported_at", reported_at)?;
    let location = draft
        .location
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            AppError::Invalid(Invalid::new(
                "location",
                "say where the crime happened: a crime reported directly has no incident to take it from",
            ))
        })?
        .to_owned();
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if let Some(first) = earlier_crime(app, tx.as_mut(), actor, idempotency).await? {
        return Ok(first);
    }
    let origin = Origin {
        incidents: Vec::new(),
        reported_at,
        location,
    };
    let (id, record) = record_new(app, tx.as_mut(), actor, now, parsed, origin).await?;
    let first = RememberedCrime { crime_id: id };
    remember(tx.as_mut(), actor, idempotency, &first, now).await?;
    tx.commit().await?;
    index_crime(app, id, &record);
    Ok(Crime {
        id,
        record,
        incident_references: Vec::new(),
        replayed: false,
    })
}

async fn load(app: &App, id: Uuid) -> Result<Crime, AppError> {
    let records = app.store.stream(&crime_stream(id)).await?;
    let record = event_store::fold::<CrimeRecord>(&id, &records)?
        .ok_or_else(|| AppError::NotFound(format!("there is no crime record with id {id}")))?;
    let mut incident_references = Vec::new();
    for incident in &record.recording.incidents {
        let events = app
            .store
            .stream(&crate::records::incident_stream(IncidentId(*incident)))
            .await?;
        if let Some(state) = crate::records::rebuild(&events, None)? {
            incident_references.push(state.reference.to_string());
        }
    }
    Ok(Crime {
        id,
        record,
        incident_references,
        replayed: false,
    })
}

/// Read a crime record. It names victims and suspects, so the read is audited (DPA 2018 s.62).
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<Crime, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "read crime records")?;
    let crime = load(app, id).await?;
    record_access(
        app,
        actor,
        crime_stream(id),
        "crime.viewed",
        json!({ "reference": crime.record.recording.reference }),
    )
    .await?;
    Ok(crime)
}

/// Find a crime by its reference (`CR-2026-000123`), as an investigator linking two crimes
/// types it; the read is audited as any other read of the crime.
pub async fn get_by_reference(
    app: &App,
    actor: &Actor,
    reference: &str,
) -> Result<Crime, AppError> {
    actor.require(Permission::ViewIncidents, "read crime records")?;
    let reference = parse_reference(reference)?;
    let row = app
        .store
        .list_crimes(&CrimeFilter {
            reference: Some(reference.clone()),
            limit: 1,
            ..CrimeFilter::default()
        })
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::NotFound(format!("there is no crime with reference {reference}"))
        })?;
    let id = Uuid::parse_str(&row.id)
        .map_err(|e| AppError::Corrupt(format!("crime id {}: {e}", row.id)))?;
    get(app, actor, id).await
}

/// A crime reference as the force gives them, `CR-` year `-` six digits; typed in any case,
/// with spaces around.
fn parse_reference(raw: &str) -> Result<String, Invalid> {
    let reference = raw.trim().to_ascii_uppercase();
    let digits = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_digit());
    match reference.split('-').collect::<Vec<_>>().as_slice() {
        ["CR", year, number] if digits(year, 4) && digits(number, 6) => Ok(reference),
        _ => Err(Invalid::new(
            "reference",
            format!(
                "'{}' is not a crime reference; they look like CR-2026-000123",
                raw.trim()
            ),
        )),
    }
}

/// Reclassify, or ask for, approve or decline a removal.
pub async fn change(
    app: &App,
    actor: &Actor,
    id: Uuid,
    command: CrimeCommand,
    idempotency: Option<&Idempotency>,
) -> Result<Crime, AppError> {
    // A user with several roles acts under the one the command needs; without it, the
    // domain refuses.
    let role = actor
        .roles
        .granting(command.permission())
        .unwrap_or(actor.roles.first());
    let actor = &actor.acting_as(role);
    command.check_lengths()?;
    decide_and_append(app, actor, id, idempotency, None, |current, now| {
        Ok(CrimeRecord::decide(
            Some(current),
            command,
            CrimeContext {
                who: &actor.username,
                role,
                now,
                reference: &app.settings.reference,
            },
        )?)
    })
    .await
}

/// One decision on a stored crime: fold it under the write lock, let `decide` make the
/// events, append them to the crime's stream with its list row, and commit. With
/// `incident_note`, a log entry on that incident in the same transaction (a CSI request's
/// preservation advice belongs in the incident's log too). Nothing is stored when `decide`
/// or the log entry is refused.
///
/// A retry with the same `Idempotency-Key` records nothing and gets the first answer again:
/// the crime as that change left it.
pub(crate) async fn decide_and_append(
    app: &App,
    actor: &Actor,
    id: Uuid,
    idempotency: Option<&Idempotency>,
    incident_note: Option<(IncidentId, String)>,
    decide: impl FnOnce(&CrimeRecord, Timestamp) -> Result<Vec<CrimeEvent>, AppError>,
) -> Result<Crime, AppError> {
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if let Some(first) = earlier::<RememberedChange>(tx.as_mut(), actor, idempotency).await? {
        let records = tx.stream(&crime_stream(first.crime_id)).await?;
        let then = records.get(..first.records).unwrap_or(&records);
        let record = event_store::fold::<CrimeRecord>(&first.crime_id, then)?
            .ok_or_else(|| AppError::Corrupt("a remembered crime has no events".into()))?;
        let incident_references = incident_references(app, tx.as_mut(), &record).await?;
        return Ok(Crime {
            id: first.crime_id,
            record,
            incident_references,
            replayed: true,
        });
    }
    let stored = tx.stream(&crime_stream(id)).await?;
    let current = event_store::fold::<CrimeRecord>(&id, &stored)?
        .ok_or_else(|| AppError::NotFound(format!("there is no crime record with id {id}")))?;
    let events = decide(&current, now)?;
    crate::diary::follow_crime(app, tx.as_mut(), actor, now, id, &current, &events).await?;
    let (record, _) = event_store::append(
        tx.as_mut(),
        &id,
        Some(current),
        stored.len(),
        &events,
        actor,
        now,
    )
    .await?;
    tx.save_crime_row(&crime_row(id, &record)).await?;
    let mut noted = None;
    if let Some((incident_id, text)) = incident_note {
        let incident = load_incident(app, tx.as_mut(), incident_id)
            .await?
            .ok_or_else(|| {
                AppError::Invalid(Invalid::new(
                    "incident",
                    format!("there is no incident with id {incident_id}"),
                ))
            })?;
        let entry = incident::decide(
            Some(&incident),
            IncidentCommand::add_log_entry(&text, None)?,
        )?;
        noted = Some(append_events(tx.as_mut(), app, actor, now, Some(incident), entry).await?);
    }
    let incident_references = incident_references(app, tx.as_mut(), &record).await?;
    let first = RememberedChange {
        crime_id: id,
        records: stored.len() + events.len(),
    };
    remember(tx.as_mut(), actor, idempotency, &first, now).await?;
    tx.commit().await?;
    if let Some((incident, _, _, seq)) = &noted {
        after_commit(app, incident, *seq);
    }
    index_crime(app, id, &record);
    Ok(Crime {
        id,
        record,
        incident_references,
        replayed: false,
    })
}

/// The crime list, newest first: every crime, or those in one status (`removal_requested`
/// is the registrar's list of removals awaiting approval). Audited: it names places.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<&str>,
) -> Result<Vec<CrimeRow>, AppError> {
    let actor = &actor.require(Permission::ReviewCrimeRecording, "list crime records")?;
    let status = status.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = status
        && !["recorded", "removal_requested", "removed"].contains(&s)
    {
        return Err(AppError::Invalid(Invalid::new(
            "status",
            format!("'{s}' is not a crime status; use recorded, removal_requested or removed"),
        )));
    }
    let rows = app
        .store
        .list_crimes(&CrimeFilter {
            status: status.map(str::to_owned),
            limit: 500,
            ..CrimeFilter::default()
        })
        .await?;
    record_access(
        app,
        actor,
        "crimes".to_owned(),
        "crimes_listed",
        json!({
            "status": status,
            "references": rows.iter().map(|r| r.reference.as_str()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(rows)
}

/// Count the crimes in a case under the Home Office Counting Rules (the engine behind
/// `controlroom hocr count`). A calculator over what the caller sends: it reads and records
/// nothing, so any signed-in user may use it.
pub fn count_crimes(
    app: &App,
    _actor: &Actor,
    case: &controlroom_domain::hocr::Case,
) -> Result<controlroom_domain::hocr::Counted, AppError> {
    controlroom_domain::hocr::count(case, &app.settings.reference)
        .map_err(|e| AppError::Invalid(Invalid::new("offences", e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::parse_reference;

    #[test]
    fn references_are_read_as_typed_and_others_refused_on_their_field() {
        assert_eq!(
            parse_reference(" cr-2026-000123 ").unwrap(),
            "CR-2026-000123"
        );
        for bad in [
            "",
            "CR-2026-123",
            "CR-26-000123",
            "IN-2026-000123",
            "CR-2026-00012X",
            "CR-2026-000123-1",
        ] {
            let refused = parse_reference(bad).unwrap_err();
            assert_eq!(refused.field, "reference", "{bad}");
        }
    }
}
