//! Intelligence checks: POLE records (people, vehicles, locations), their links and warning
//! markers, the searches a handler runs while the caller is on the line, and the record of
//! each check in the incident log. Searching for a person is consulting personal data: every
//! search and every record viewed is in the audit trail.

use crate::records::{access_record, incident_stream, micros, rebuild, record_access};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::Invalid;
use controlroom_domain::contact::PhoneNumber;
use controlroom_domain::grading::RepeatCounts;
use controlroom_domain::incident::{Incident, IncidentCommand, IncidentId, Status, decide};
use controlroom_domain::limits;
use controlroom_domain::pole::{
    E164, Kind, LinkRole, LocationDetails, Marker, PersonDraft, PoleEvent, PoleRecord, Postcode,
    RecordRef, VehicleDetails, Vrm, postcode_district,
};
use controlroom_domain::roles::Permission;
use controlroom_domain::text::{optional_text, required_text};
use controlroom_search::{Hit, IndexDoc};
use controlroom_store::WriteTx;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use uuid::Uuid;

pub(crate) fn today(app: &App) -> jiff::civil::Date {
    app.clock
        .now()
        .to_zoned(app.settings.time_zone.clone())
        .date()
}

async fn append(
    tx: &mut dyn WriteTx,
    record: RecordRef,
    event: &PoleEvent,
    actor: &Actor,
    at: Timestamp,
) -> Result<(), AppError> {
    tx.append(crate::event_store::change_record::<PoleRecord>(
        &record, event, actor, at,
    )?)
    .await?;
    Ok(())
}

/// Fold a POLE record from its stored events.
pub(crate) fn fold(
    reference: RecordRef,
    records: &[controlroom_domain::audit::AuditRecord],
) -> Result<Option<PoleRecord>, AppError> {
    crate::event_store::fold(&reference, records)
}

/// The search document for a POLE record; `year` turns an age range into birth years.
pub fn document(record: &PoleRecord, year: i16) -> Option<IndexDoc> {
    let id = record.reference.id.to_string();
    if let Some(p) = &record.person {
        return Some(IndexDoc::Person {
            id,
            names: p.names.iter().map(ToString::to_string).collect(),
            date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            birth_years: match (p.date_of_birth, p.age_range) {
                (Some(d), _) => vec![i64::from(d.year())],
                (None, Some((from, to))) => (i64::from(year) - i64::from(to) - 1
                    ..=i64::from(year) - i64::from(from))
                    .collect(),
                (None, None) => Vec::new(),
            },
            age_range: p.age_range,
            phones: p.phones.iter().map(|e| e.to_string()).collect(),
            addresses: p.addresses.clone(),
            merged_into: record.merged_into.map(|m| m.to_string()),
        });
    }
    if let Some(v) = &record.vehicle {
        let description = [&v.colour, &v.make, &v.model]
            .iter()
            .filter_map(|x| x.as_deref())
            .collect::<Vec<_>>()
            .join(" ");
        return Some(IndexDoc::Vehicle {
            id,
            vrm: v.vrm.to_string(),
            description,
        });
    }
    if let Some(p) = &record.property {
        return Some(IndexDoc::Property {
            id,
            description: p.description.clone(),
            serial: p.serial.clone(),
        });
    }
    record.location.as_ref().map(|l| IndexDoc::Location {
        id,
        address: l.address.clone(),
        postcode: l.postcode.clone().map(String::from),
        uprn: l.uprn.as_deref().and_then(uprn_key),
        point: l.lat.zip(l.lon),
    })
}

/// A UPRN as the index holds it: the number, without leading zeros, so that `0072001234`
/// typed at a call and `72001234` from the gazetteer are one place. None when it is not a
/// UPRN (a contact's is checked when taken, a location record's when recorded).
pub(crate) fn uprn_key(raw: &str) -> Option<String> {
    controlroom_domain::gazetteer::Uprn::parse(raw)
        .ok()
        .map(|u| u.to_string())
}

/// Link documents for the links a record holds.
pub fn link_documents(record: &PoleRecord) -> Vec<IndexDoc> {
    record
        .links
        .iter()
        .enumerate()
        .map(|(i, link)| IndexDoc::Link {
            id: format!("{}#{i}", record.reference.stream()),
            from: record.reference.id.to_string(),
            to: link.to.id.to_string(),
            role: link.role.as_str().to_owned(),
            at_micros: micros(link.at),
        })
        .collect()
}

pub fn incident_document(incident: &Incident) -> IndexDoc {
    let first = incident.contacts.first();
    IndexDoc::Incident {
        id: incident.id.to_string(),
        reference: incident.reference.to_string(),
        opened_at_micros: micros(incident.opened_at),
        status: incident.status.as_str().to_owned(),
        incident_type: incident.incident_type.as_ref().map(ToString::to_string),
        caller_name: first.map(|c| c.caller.name.to_string()).unwrap_or_default(),
        caller_phone: first
            .and_then(|c| c.caller.phone.as_ref())
            .and_then(PhoneNumber::e164)
            .map(|e| e.to_string()),
        location: first.map(|c| c.location.text.clone()).unwrap_or_default(),
        uprn: first
            .and_then(|c| c.location.uprn.as_ref())
            .and_then(|u| uprn_key(u.as_str())),
        point: first
            .and_then(|c| c.location.coordinates)
            .map(|c| (c.lat, c.lon)),
    }
}

/// Keep the index in step after a committed change. The store is the truth: if indexing
/// fails, the change stands and `controlroom reindex` repairs the index.
pub(crate) fn index_incident(app: &App, incident: &Incident) {
    if let Ok(index) = app.search()
        && let Err(e) = index.upsert(&[incident_document(incident)])
    {
        tracing::warn!(error = %e, "incident saved but not indexed; run controlroom reindex");
    }
}

fn index_record(app: &App, record: &PoleRecord) {
    let Ok(index) = app.search() else { return };
    let mut docs: Vec<IndexDoc> = document(record, today(app).year()).into_iter().collect();
    docs.extend(link_documents(record));
    if let Err(e) = index.upsert(&docs) {
        tracing::warn!(error = %e, "record saved but not indexed; run controlroom reindex");
    }
}

/// Write an event to a record's stream (creating it if `new`), index it, and return it.
async fn change(
    app: &App,
    actor: &Actor,
    reference: RecordRef,
    new: bool,
    event: PoleEvent,
    idempotency: Option<&Idempotency>,
) -> Result<PoleRecord, AppError> {
    let now = app.now();
    let mut tx = app.store.begin().await?;
    // A retry with the same Idempotency-Key gets the record the first request made or
    // changed, and nothing is recorded twice (a second person, a second marker).
    if let Some(first) =
        crate::idempotency::earlier::<RecordRef>(tx.as_mut(), actor, idempotency).await?
    {
        drop(tx);
        let records = app.store.stream(&first.stream()).await?;
        return fold(first, &records)?
            .ok_or_else(|| AppError::Corrupt("a remembered record with no events".into()));
    }
    let existing = tx.stream(&reference.stream()).await?;
    if new != existing.is_empty() {
        return Err(if new {
            AppError::Conflict("that record already exists".into())
        } else {
            AppError::NotFound(format!(
                "there is no {} with id {}",
                reference.kind.as_str(),
                reference.id
            ))
        });
    }
    append(tx.as_mut(), reference, &event, actor, now).await?;
    crate::idempotency::remember(tx.as_mut(), actor, idempotency, &reference, now).await?;
    tx.commit().await?;
    let records = app.store.stream(&reference.stream()).await?;
    let record = fold(reference, &records)?
        .ok_or_else(|| AppError::Corrupt("a record with no events".into()))?;
    index_record(app, &record);
    Ok(record)
}

/// Write events decided on the record's state as read under the write lock (so two people
/// withdrawing the same marker cannot both succeed), index it, and return it.
async fn decide_change(
    app: &App,
    actor: &Actor,
    reference: RecordRef,
    decide: impl FnOnce(&PoleRecord) -> Result<Vec<PoleEvent>, AppError>,
) -> Result<PoleRecord, AppError> {
    let now = app.now();
    let mut tx = app.store.begin().await?;
    let existing = fold(reference, &tx.stream(&reference.stream()).await?)?.ok_or_else(|| {
        AppError::NotFound(format!(
            "there is no {} with id {}",
            reference.kind.as_str(),
            reference.id
        ))
    })?;
    let events = decide(&existing)?;
    for event in &events {
        append(tx.as_mut(), reference, event, actor, now).await?;
    }
    tx.commit().await?;
    let mut record = existing;
    for event in &events {
        record.apply(event, now, actor.username.as_str());
    }
    index_record(app, &record);
    Ok(record)
}

/// Write a new record, `event` its first; the event says which kind of record it is.
async fn create(
    app: &App,
    actor: &Actor,
    event: PoleEvent,
    idempotency: Option<&Idempotency>,
) -> Result<PoleRecord, AppError> {
    let kind = match &event {
        PoleEvent::PersonRecorded { .. } => Kind::Person,
        PoleEvent::VehicleRecorded { .. } => Kind::Vehicle,
        PoleEvent::LocationRecorded { .. } => Kind::Location,
        PoleEvent::PropertyRecorded { .. } => Kind::Property,
        other => {
            let kind = controlroom_domain::aggregate::Event::kind(other);
            return Err(AppError::Corrupt(format!(
                "a record cannot begin with {kind}"
            )));
        }
    };
    let reference = RecordRef {
        kind,
        id: Uuid::now_v7(),
    };
    change(app, actor, reference, true, event, idempotency).await
}

fn person_ref(id: Uuid) -> RecordRef {
    RecordRef {
        kind: Kind::Person,
        id,
    }
}

/// The actor, if they may record intelligence.
fn recorder(actor: &Actor) -> Result<Actor, AppError> {
    actor.require(
        Permission::RecordIntelligence,
        "record people, vehicles, locations and property, or link them",
    )
}

/// The actor, if they may add or withdraw markers and `record` can hold them (`refusal`
/// begins the words that say it cannot).
fn marker_keeper(actor: &Actor, record: RecordRef, refusal: &str) -> Result<Actor, AppError> {
    let actor = actor.require(Permission::ManageMarkers, "add or withdraw warning markers")?;
    if record.kind == Kind::Incident {
        return Err(
            Invalid::new("kind", format!("{refusal} people, vehicles and locations")).into(),
        );
    }
    Ok(actor)
}

fn require(actor: &Actor) -> Result<Actor, AppError> {
    actor.require(Permission::ViewIncidents, "search or record intelligence")
}

fn refused(e: controlroom_domain::pole::Refused) -> AppError {
    match e {
        controlroom_domain::pole::Refused::Invalid(e) => e.into(),
        controlroom_domain::pole::Refused::Rejected(e) => e.into(),
    }
}

pub async fn record_person(
    app: &App,
    actor: &Actor,
    draft: PersonDraft,
    idempotency: Option<&Idempotency>,
) -> Result<PoleRecord, AppError> {
    let actor = &recorder(actor)?;
    let details = draft.parse(today(app))?;
    let first = PoleEvent::PersonRecorded { details };
    create(app, actor, first, idempotency).await
}

pub async fn update_person(
    app: &App,
    actor: &Actor,
    id: Uuid,
    draft: PersonDraft,
) -> Result<PoleRecord, AppError> {
    let actor = &recorder(actor)?;
    let details = draft.parse(today(app))?;
    let event = PoleEvent::PersonUpdated { details };
    change(app, actor, person_ref(id), false, event, None).await
}

pub async fn record_vehicle(
    app: &App,
    actor: &Actor,
    vrm: &str,
    make: Option<&str>,
    model: Option<&str>,
    colour: Option<&str>,
    idempotency: Option<&Idempotency>,
) -> Result<PoleRecord, AppError> {
    let actor = &recorder(actor)?;
    let details = VehicleDetails {
        vrm: Vrm::parse("vrm", vrm)?,
        make: optional_text("make", make, limits::DETAIL)?,
        model: optional_text("model", model, limits::DETAIL)?,
        colour: optional_text("colour", colour, limits::SHORT_DETAIL)?,
    };
    let first = PoleEvent::VehicleRecorded { details };
    create(app, actor, first, idempotency).await
}

/// Record property: a description, and a serial number or IMEI if it has one.
pub async fn record_property(
    app: &App,
    actor: &Actor,
    description: &str,
    serial: Option<&str>,
    idempotency: Option<&Idempotency>,
) -> Result<PoleRecord, AppError> {
    let actor = &recorder(actor)?;
    let details = controlroom_domain::pole::PropertyDetails {
        description: required_text("description", description, limits::SHORT_REASON)?,
        serial: optional_text("serial", serial, limits::DETAIL)?
            .map(|s| controlroom_domain::pole::normalise_serial("serial", &s))
            .transpose()?,
    };
    let first = PoleEvent::PropertyRecorded { details };
    create(app, actor, first, idempotency).await
}

pub struct LocationInput<'a> {
    pub address: &'a str,
    pub postcode: Option<&'a str>,
    pub uprn: Option<&'a str>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub beat: Option<&'a str>,
}

pub async fn record_location(
    app: &App,
    actor: &Actor,
    input: LocationInput<'_>,
    idempotency: Option<&Idempotency>,
) -> Result<PoleRecord, AppError> {
    let actor = &recorder(actor)?;
    let coordinates = match (input.lat, input.lon) {
        (Some(lat), Some(lon)) => Some(controlroom_domain::contact::Coordinates::parse(lat, lon)?),
        (None, None) => None,
        _ => {
            return Err(Invalid::new("lat", "give both latitude and longitude, or neither").into());
        }
    };
    let details = LocationDetails {
        address: required_text("address", input.address, limits::ADDRESS)?,
        postcode: optional_text("postcode", input.postcode, limits::POSTCODE)?
            .map(|p| Postcode::parse("postcode", &p))
            .transpose()?,
        // The gazetteer's number (GeoPlace: 1 to 12 digits, never 0), kept as the gazetteer
        // writes it, so a call placed at the address finds the record and its markers.
        uprn: optional_text("uprn", input.uprn, limits::UPRN)?
            .map(|u| {
                controlroom_domain::gazetteer::Uprn::parse(&u)
                    .map(|n| n.to_string())
                    .map_err(|_| {
                        Invalid::new(
                            "uprn",
                            format!("'{u}' is not a UPRN (1 to 12 digits, not 0)"),
                        )
                    })
            })
            .transpose()?,
        lat: coordinates.map(|c| c.lat),
        lon: coordinates.map(|c| c.lon),
        beat: optional_text("beat", input.beat, limits::SHORT_DETAIL)?,
    };
    let first = PoleEvent::LocationRecorded { details };
    create(app, actor, first, idempotency).await
}

/// A warning marker as typed: its kind, why, where the information came from, and when it
/// must be reviewed (YYYY-MM-DD).
#[derive(Debug, Clone, Copy)]
pub struct MarkerDraft<'a> {
    pub kind: &'a str,
    pub reason: &'a str,
    pub source: &'a str,
    pub review_by: &'a str,
}

pub async fn add_marker(
    app: &App,
    actor: &Actor,
    record: RecordRef,
    draft: MarkerDraft<'_>,
    idempotency: Option<&Idempotency>,
) -> Result<PoleRecord, AppError> {
    let MarkerDraft {
        kind,
        reason,
        source,
        review_by,
    } = draft;
    let actor = &marker_keeper(actor, record, "warning markers go on")?;
    let marker = Marker::parse(
        kind,
        reason,
        source,
        review_by,
        actor.username.as_str(),
        today(app),
    )?;
    let event = PoleEvent::MarkerAdded { marker };
    change(app, actor, record, false, event, idempotency).await
}

/// Withdraw a warning marker (numbered from 1 in the order added, as the record lists them),
/// with the reason. Nothing is deleted: the withdrawal is a new event on the record's stream,
/// and the marker stays on the record, shown as withdrawn; checks no longer warn of it.
pub async fn withdraw_marker(
    app: &App,
    actor: &Actor,
    record: RecordRef,
    number: u32,
    reason: &str,
) -> Result<PoleRecord, AppError> {
    let actor = &marker_keeper(actor, record, "warning markers are on")?;
    decide_change(app, actor, record, |current| {
        current
            .withdraw_marker(number, reason)
            .map(|event| vec![event])
            .map_err(refused)
    })
    .await
}

/// Link one record to another (a person to an incident as victim, a vehicle to its keeper).
pub async fn link(
    app: &App,
    actor: &Actor,
    from: RecordRef,
    to: RecordRef,
    role: &str,
    note: Option<&str>,
) -> Result<PoleRecord, AppError> {
    let actor = &recorder(actor)?;
    let role = LinkRole::parse(role)?;
    let note = optional_text("note", note, limits::SHORT_REASON)?;
    if from == to {
        return Err(Invalid::new("to", "a record cannot be linked to itself").into());
    }
    // An incident's stream holds incident events only: links to it are kept on the person's,
    // vehicle's or location's stream.
    if from.kind == Kind::Incident {
        return Err(Invalid::new(
            "kind",
            "link from the person, vehicle or location to the incident, not from the incident",
        )
        .into());
    }
    exists(app, to).await?;
    decide_change(app, actor, from, |current| {
        if current.links.iter().any(|l| l.to == to && l.role == role) {
            return Err(AppError::Conflict(format!(
                "{} is already linked to this {} as {}",
                current.label(),
                to.kind.as_str(),
                role.as_str()
            )));
        }
        Ok(vec![PoleEvent::Linked { to, role, note }])
    })
    .await
}

async fn exists(app: &App, record: RecordRef) -> Result<(), AppError> {
    let stream = match record.kind {
        Kind::Incident => incident_stream(IncidentId(record.id)),
        _ => record.stream(),
    };
    if app.store.stream(&stream).await?.is_empty() {
        return Err(Invalid::new(
            "to",
            format!("there is no {} with id {}", record.kind.as_str(), record.id),
        )
        .into());
    }
    Ok(())
}

/// Record that `person` is the same person as `into`. Nothing is moved: links stay where they
/// are and are read through the merge; unmerging undoes it exactly.
pub async fn merge(
    app: &App,
    actor: &Actor,
    person: Uuid,
    into: Uuid,
    reason: &str,
) -> Result<PoleRecord, AppError> {
    let actor = &actor.require(Permission::MergeRecords, "merge or unmerge person records")?;
    let reason = required_text("reason", reason, limits::REASON)?;
    if person == into {
        return Err(Invalid::new("into", "a person cannot be merged into themselves").into());
    }
    let target = load(app, person_ref(into))
        .await?
        .ok_or_else(|| Invalid::new("into", "there is no such person to merge into"))?;
    if target.merged_into.is_some() {
        return Err(Invalid::new(
            "into",
            "that person is itself merged; merge into the record it was merged into",
        )
        .into());
    }
    let event = PoleEvent::MergedInto { into, reason };
    change(app, actor, person_ref(person), false, event, None).await
}

pub async fn unmerge(
    app: &App,
    actor: &Actor,
    person: Uuid,
    reason: &str,
) -> Result<PoleRecord, AppError> {
    let actor = &actor.require(Permission::MergeRecords, "merge or unmerge person records")?;
    let reason = required_text("reason", reason, limits::REASON)?;
    let current = load(app, person_ref(person))
        .await?
        .ok_or_else(|| AppError::NotFound("there is no such person".into()))?;
    if current.merged_into.is_none() {
        return Err(Invalid::new("person", "this person is not merged").into());
    }
    let event = PoleEvent::Unmerged { reason };
    change(app, actor, current.reference, false, event, None).await
}

async fn load(app: &App, reference: RecordRef) -> Result<Option<PoleRecord>, AppError> {
    fold(reference, &app.store.stream(&reference.stream()).await?)
}

/// What a handler sees of a record besides its own details and markers: the records merged
/// into it, its links and the links to it (of every record merged into it too), and its
/// history. The look is audited.
// The API sends the lists as they are (schema `RecordView`), beside the record's own fields,
// which web writes: a marker's view needs today's date.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RecordView {
    /// The record itself.
    #[serde(skip)]
    pub record: PoleRecord,
    /// Records merged into this one.
    pub merged: Vec<Uuid>,
    /// Links from or to this record (and records merged into it), newest first.
    pub links: Vec<Hit>,
    /// Incidents in the history, newest first.
    pub history: Vec<Hit>,
}

impl RecordView {
    /// A record as just written: the answer to a write looks up no merges, links or history.
    pub fn written(record: PoleRecord) -> Self {
        Self {
            record,
            merged: Vec::new(),
            links: Vec::new(),
            history: Vec::new(),
        }
    }
}

pub async fn view(app: &App, actor: &Actor, reference: RecordRef) -> Result<RecordView, AppError> {
    let actor = &require(actor)?;
    let record = load(app, reference).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "there is no {} with id {}",
            reference.kind.as_str(),
            reference.id
        ))
    })?;
    let index = crate::search_feed::current(app).await?;
    let merged: Vec<Uuid> = index
        .merged_into(&reference.id.to_string())
        .map_err(search_error)?
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let mut ids = vec![reference.id.to_string()];
    ids.extend(merged.iter().map(ToString::to_string));
    let links = index.links(&ids, None, 500).map_err(search_error)?;
    let mut phones = Vec::new();
    if let Some(p) = &record.person {
        phones = p.phones.iter().map(ToString::to_string).collect();
    }
    let history = history(
        app,
        &ids,
        &phones,
        None,
        record.location.as_ref().and_then(|l| l.lat.zip(l.lon)),
        record
            .location
            .as_ref()
            .and_then(|l| l.uprn.as_deref())
            .and_then(uprn_key)
            .as_deref(),
        None,
    )?;
    record_access(
        app,
        actor,
        reference.stream(),
        "record_viewed",
        // What the answer showed besides the record itself (DPA 2018 s.62): the records
        // merged into it, the records linked to it and the incidents in its history, by id.
        json!({
            "kind": reference.kind.as_str(),
            "merged": merged.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "linked": links
                .iter()
                .flat_map(|h| [h.from.clone(), h.to.clone()])
                .flatten()
                .collect::<std::collections::BTreeSet<_>>(),
            "history": history
                .iter()
                .map(|h| format!("{}/{}", h.kind, h.id))
                .collect::<std::collections::BTreeSet<_>>(),
        }),
    )
    .await?;
    Ok(RecordView {
        record,
        merged,
        links,
        history,
    })
}

/// A person, vehicle or location linked to an incident, as the incident panel lists it.
// The API sends it as it is beside the record's kind and id, which web writes as text.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LinkedRecord {
    #[serde(skip)]
    pub record: RecordRef,
    pub label: String,
    /// A person's date of birth or estimated age, as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub born: Option<String>,
    /// caller, victim, suspect, witness…
    pub role: String,
    /// When the link was made (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub at: Option<Timestamp>,
    /// The person this record was merged into, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

/// One link to an incident: (incident id, the record at the other end, role, when).
type IncidentLink = (String, Hit, String, Option<i64>);

/// The links of one or more incidents, read from the search index's link documents (links
/// are kept on the person's, vehicle's or location's stream, so only the index can answer
/// "what is linked to this incident" without reading every record).
fn links_to_incidents(app: &App, incidents: &[String]) -> Result<Vec<IncidentLink>, AppError> {
    // Callers have caught the index up already (`search_feed::current`).
    let index = app.search()?;
    let links = index.links(incidents, None, 2_000).map_err(search_error)?;
    let mut ends: Vec<String> = links.iter().filter_map(|l| l.from.clone()).collect();
    ends.sort();
    ends.dedup();
    let records: std::collections::HashMap<String, Hit> = index
        .get(&ends)
        .map_err(search_error)?
        .into_iter()
        .filter(|h| ["person", "vehicle", "location", "property"].contains(&h.kind.as_str()))
        .map(|h| (h.id.clone(), h))
        .collect();
    Ok(links
        .into_iter()
        .filter_map(|l| {
            let incident = l.to.filter(|to| incidents.contains(to))?;
            let record = records.get(l.from.as_deref()?)?.clone();
            Some((incident, record, l.role.unwrap_or_default(), l.at_micros))
        })
        .collect())
}

/// The people, vehicles and locations linked to an incident, with their role, by role then
/// name. Who is linked to an incident is personal data: the look is audited.
pub async fn incident_links(
    app: &App,
    actor: &Actor,
    id: IncidentId,
) -> Result<Vec<LinkedRecord>, AppError> {
    let actor = &require(actor)?;
    if app.store.stream(&incident_stream(id)).await?.is_empty() {
        return Err(AppError::NotFound(format!(
            "there is no incident with id {id}"
        )));
    }
    crate::search_feed::current(app).await?;
    let mut linked: Vec<LinkedRecord> = links_to_incidents(app, &[id.to_string()])?
        .into_iter()
        .filter_map(|(_, hit, role, at)| {
            Some(LinkedRecord {
                record: RecordRef {
                    kind: Kind::parse(&hit.kind).ok()?,
                    id: hit.id.parse().ok()?,
                },
                label: hit.label,
                born: hit.born,
                role,
                at: at.and_then(|m| Timestamp::from_microsecond(m).ok()),
                merged_into: hit.merged_into,
            })
        })
        .collect();
    // By role (caller, victim, suspect, witness…), then name: how a handler reads them out.
    let rank = |role: &str| LinkRole::ALL.iter().position(|r| r.as_str() == role);
    linked.sort_by(|a, b| (rank(&a.role), &a.label, a.at).cmp(&(rank(&b.role), &b.label, b.at)));
    record_access(
        app,
        actor,
        incident_stream(id),
        "incident_links_viewed",
        json!({ "records": linked.iter().map(|l| l.record.stream()).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(linked)
}

/// A standing warning marker that concerns an incident, and why it does.
#[derive(Debug, Clone)]
pub struct Warning {
    pub record: RecordRef,
    /// The record's name, registration or address.
    pub on: String,
    pub marker: Marker,
    /// "found by the intelligence check", or "linked as suspect".
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct IncidentWarnings {
    pub incident: IncidentId,
    pub reference: String,
    pub warnings: Vec<Warning>,
}

/// The most incidents one request may ask the warnings of (a board's worth).
pub const WARNINGS_AT_ONCE: usize = limits::WARNINGS_AT_ONCE;

/// The warning markers that concern each incident: those standing on the records its
/// intelligence checks found markers on, and on the people, vehicles and locations linked
/// to it. Withdrawn and expired markers are left out.
///
/// Why this way: nothing is searched again and nothing is scanned. Each check already
/// records on the incident (`IntelligenceChecked::warnings_on`) which records it warned
/// about, and links to incidents are one query on the search index's link documents; so the
/// cost is one replay per incident asked about, one index query, and one read per record
/// named, whatever the size of the force's records. Markers are read from the records at
/// the time of asking, so a marker withdrawn since the check no longer shows. The look is
/// audited (one access record naming the incidents and the records whose markers were shown).
pub async fn incident_warnings(
    app: &App,
    actor: &Actor,
    incidents: &[IncidentId],
) -> Result<Vec<IncidentWarnings>, AppError> {
    let actor = &require(actor)?;
    if incidents.len() > WARNINGS_AT_ONCE {
        return Err(Invalid::new(
            "incidents",
            format!(
                "ask for at most {WARNINGS_AT_ONCE} incidents at a time ({} asked)",
                incidents.len()
            ),
        )
        .into());
    }
    let mut ids: Vec<IncidentId> = Vec::new();
    for id in incidents {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    let today = today(app);
    crate::search_feed::current(app).await?;
    let found_links = links_to_incidents(
        app,
        &ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
    )?;
    let mut records: std::collections::HashMap<RecordRef, Option<PoleRecord>> = Default::default();
    let mut answer = Vec::new();
    for id in ids {
        let Some(incident) = rebuild(&app.store.stream(&incident_stream(id)).await?, None)? else {
            return Err(AppError::NotFound(format!(
                "there is no incident with id {id}"
            )));
        };
        // (record, why), checks first: what the handler was warned of at the call.
        let mut concerned: Vec<(RecordRef, String)> = incident
            .warnings_on
            .iter()
            .map(|r| (*r, "found by the intelligence check".to_owned()))
            .collect();
        for (incident_id, hit, role, _) in &found_links {
            if *incident_id != id.to_string() {
                continue;
            }
            if let (Ok(kind), Ok(uuid)) = (Kind::parse(&hit.kind), hit.id.parse()) {
                concerned.push((RecordRef { kind, id: uuid }, format!("linked as {role}")));
            }
        }
        let mut warnings: Vec<Warning> = Vec::new();
        for (reference, why) in concerned {
            // A person merged into another carries the other's markers too.
            let mut chain = vec![reference];
            if let Some(into) = cached(app, &mut records, reference)
                .await?
                .and_then(|r| r.merged_into)
            {
                chain.push(RecordRef {
                    kind: Kind::Person,
                    id: into,
                });
            }
            for r in chain {
                let Some(record) = cached(app, &mut records, r).await? else {
                    continue;
                };
                for marker in record.markers.iter().filter(|m| m.current(today)) {
                    if let Some(seen) = warnings
                        .iter_mut()
                        .find(|w| w.record == r && w.marker == *marker)
                    {
                        if !seen.why.contains(&why) {
                            seen.why = format!("{}; {why}", seen.why);
                        }
                        continue;
                    }
                    warnings.push(Warning {
                        record: r,
                        on: record.label(),
                        marker: marker.clone(),
                        why: why.clone(),
                    });
                }
            }
        }
        answer.push(IncidentWarnings {
            incident: id,
            reference: incident.reference.to_string(),
            warnings,
        });
    }
    record_access(
        app,
        actor,
        "incidents".to_owned(),
        "warnings_viewed",
        json!({
            "references": answer.iter().map(|a| a.reference.as_str()).collect::<Vec<_>>(),
            "records": answer
                .iter()
                .flat_map(|a| a.warnings.iter().map(|w| w.record.stream()))
                .collect::<std::collections::BTreeSet<_>>(),
        }),
    )
    .await?;
    Ok(answer)
}

/// A record read once per request, however many incidents name it.
async fn cached(
    app: &App,
    cache: &mut std::collections::HashMap<RecordRef, Option<PoleRecord>>,
    reference: RecordRef,
) -> Result<Option<PoleRecord>, AppError> {
    if let Some(record) = cache.get(&reference) {
        return Ok(record.clone());
    }
    let record = load(app, reference).await?;
    cache.insert(reference, record.clone());
    Ok(record)
}

pub(crate) fn search_error(e: controlroom_search::SearchError) -> AppError {
    AppError::Store(controlroom_store::StoreError::Unavailable(e.to_string()))
}

/// Incidents and crime records linked to any of `ids` (with how they are linked), incidents
/// called in from any of `phones`, or (for a place) within 100 metres of `point`, since a
/// time, newest first.
///
/// With a UPRN, the incidents placed at that address come first, whatever their text says
/// (a typo in "Harehils" is the same house), then the rest.
fn history(
    app: &App,
    ids: &[String],
    phones: &[String],
    since: Option<i64>,
    point: Option<(f64, f64)>,
    uprn: Option<&str>,
    exclude: Option<&str>,
) -> Result<Vec<Hit>, AppError> {
    // Callers have caught the index up already (`search_feed::current`).
    let index = app.search()?;
    let links = index.links(ids, since, 500).map_err(search_error)?;
    // How each linked record is linked (victim, suspect…), to say so beside it.
    let mut roles: std::collections::BTreeMap<String, String> = Default::default();
    let mut incident_ids: Vec<String> = Vec::new();
    for link in links {
        for end in [link.from, link.to].into_iter().flatten() {
            if !ids.contains(&end) {
                if let Some(role) = &link.role {
                    roles.entry(end.clone()).or_insert_with(|| role.clone());
                }
                incident_ids.push(end);
            }
        }
    }
    incident_ids.sort();
    incident_ids.dedup();
    let mut hits: Vec<Hit> = index
        .get(&incident_ids)
        .map_err(search_error)?
        .into_iter()
        .filter(|h| h.kind == "incident" || h.kind == "crime")
        .map(|mut h| {
            if h.role.is_none() {
                h.role = roles.get(&h.id).cloned();
            }
            h
        })
        .collect();
    hits.extend(
        index
            .incidents_by_phone(phones, since, 200)
            .map_err(search_error)?,
    );
    if let Some((lat, lon)) = point {
        hits.extend(
            index
                .near("incident", lat, lon, 100.0, since, 200)
                .map_err(search_error)?,
        );
    }
    hits.retain(|h| Some(h.id.as_str()) != exclude);
    hits.sort_by_key(|h| std::cmp::Reverse(h.at_micros));
    let at_address = match uprn {
        Some(u) => index
            .same_uprn("incident", u, since, 200)
            .map_err(search_error)?,
        None => Vec::new(),
    };
    let mut at_address: Vec<Hit> = at_address
        .into_iter()
        .filter(|h| Some(h.id.as_str()) != exclude)
        .collect();
    at_address.sort_by_key(|h| std::cmp::Reverse(h.at_micros));
    Ok(merge_hits([at_address, hits]))
}

/// The hits of several searches as one list: in the order of the lists (the surest match
/// first), each record once, with the reasons every search found it for.
fn merge_hits<const N: usize>(lists: [Vec<Hit>; N]) -> Vec<Hit> {
    let mut merged: Vec<Hit> = Vec::new();
    for hit in lists.into_iter().flatten() {
        match merged.iter_mut().find(|m| m.id == hit.id) {
            Some(seen) => {
                for reason in hit.reasons {
                    if !seen.reasons.contains(&reason) {
                        seen.reasons.push(reason);
                    }
                }
                seen.distance_metres = seen.distance_metres.or(hit.distance_metres);
                seen.role = seen.role.take().or(hit.role);
            }
            None => merged.push(hit),
        }
    }
    merged
}

/// Every hit an answer shows, as `kind/id`, once each, in the order shown.
fn shown(result: &CheckResult) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    result
        .people
        .iter()
        .chain(&result.phone)
        .chain(&result.vehicles)
        .chain(&result.property)
        .chain(&result.locations)
        .chain(&result.history)
        .chain(&result.possible_duplicates)
        .map(|h| format!("{}/{}", h.kind, h.id))
        .filter(|s| seen.insert(s.clone()))
        .collect()
}

/// How near a location record must be to the call's position for its markers to be shown
/// when the call is checked: the width of a house and its neighbours.
pub const PLACE_METRES: f64 = 50.0;

/// The longest search input accepted, by field (characters).
pub const CHECK_NAME_MAX: usize = limits::SEARCH_NAME;
pub const CHECK_PHONE_MAX: usize = limits::SEARCH_PHONE;
pub const CHECK_VRM_MAX: usize = limits::SEARCH_VRM;
pub const CHECK_SERIAL_MAX: usize = limits::SEARCH_SERIAL;
pub const CHECK_LOCATION_MAX: usize = limits::SEARCH_LOCATION;

/// What a handler searches for. Any combination; empty parts are skipped.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub age_from: Option<u8>,
    pub age_to: Option<u8>,
    pub phone: Option<String>,
    pub vrm: Option<String>,
    /// A serial number or IMEI of property.
    pub serial: Option<String>,
    pub location: Option<String>,
    pub near: Option<(f64, f64, f64)>,
    /// The gazetteer's UPRN of the place. On an incident, the first contact's UPRN when not
    /// given.
    pub uprn: Option<String>,
    /// History period in days (default 365).
    pub days: Option<u32>,
}

/// A warning marker an intelligence check found, on which record, and why it concerns this
/// call when the record was found by its place.
#[derive(Debug, Clone)]
pub struct FoundMarker {
    /// The record's name, registration or address.
    pub on: String,
    pub marker: Marker,
    /// Past its review date: shown, but as expired.
    pub expired: bool,
    /// "marker on this address (UPRN 72001234)", or "marker 30 m away"; None for a record
    /// found by name, phone, registration or serial.
    pub why: Option<String>,
}

/// What an intelligence check found.
// The API sends it as it is (schema `CheckResult`) beside what only the web view can say: a
// marker's view needs today's date, and the repeat counts keep their `repeat_*` wire names.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct CheckResult {
    pub people: Vec<Hit>,
    pub phone: Vec<Hit>,
    pub vehicles: Vec<Hit>,
    pub property: Vec<Hit>,
    pub locations: Vec<Hit>,
    /// Incidents in the period: linked to what was found, called from the phone, or nearby.
    pub history: Vec<Hit>,
    /// Warning markers on what was found.
    #[serde(skip)]
    pub markers: Vec<FoundMarker>,
    /// Incidents in the last 12 months with the same caller, place or victim (as the
    /// incident's intelligence check records them).
    #[serde(skip)]
    pub repeats: RepeatCounts,
    /// Whether any count reaches the force's repeat threshold (`Settings::repeat_threshold`,
    /// `serve --repeat-threshold`).
    pub repeat: bool,
    /// Open incidents of the same kind near the same place in the last hour.
    pub possible_duplicates: Vec<Hit>,
    /// What was searched, in words (for the log).
    pub searched: Vec<String>,
}

/// Run an intelligence check. When `incident` is given, the check is written to its log and
/// repeat and duplicate detection use its caller and place.
pub async fn check(
    app: &App,
    actor: &Actor,
    incident: Option<IncidentId>,
    request: CheckRequest,
) -> Result<CheckResult, AppError> {
    // A check on an incident is written to its log: a change, not only a read.
    let actor = &match incident {
        Some(_) => actor.require(
            Permission::WriteIncidentLog,
            "run an intelligence check on an incident (it is written to the incident log)",
        )?,
        None => require(actor)?,
    };
    // What a handler can type, and no more: a longer search is refused before it costs a
    // search or writes a large record to the audit trail.
    for (field, value, max) in [
        ("name", &request.name, CHECK_NAME_MAX),
        ("phone", &request.phone, CHECK_PHONE_MAX),
        ("vrm", &request.vrm, CHECK_VRM_MAX),
        ("serial", &request.serial, CHECK_SERIAL_MAX),
        ("location", &request.location, CHECK_LOCATION_MAX),
    ] {
        optional_text(field, value.as_deref(), max)?;
    }
    let index = crate::search_feed::for_search(app, actor).await?;
    let now = app.now();
    let days = i64::from(request.days.unwrap_or(365).clamp(1, 3650));
    let since = micros(now - SignedDuration::from_hours(24 * days));
    let mut result = CheckResult::default();

    let current =
        match incident {
            Some(id) => {
                // A read: the incident as committed, without queueing for the write lock.
                let found = crate::event_store::read::<Incident>(app.store.as_ref(), &id).await?;
                Some(found.ok_or_else(|| {
                    AppError::NotFound(format!("there is no incident with id {id}"))
                })?)
            }
            None => None,
        };

    if let Some(name) = request.name.as_deref().filter(|n| !n.trim().is_empty()) {
        let dob = optional_text(
            "date_of_birth",
            request.date_of_birth.as_deref(),
            limits::DATE,
        )?;
        if let Some(d) = &dob {
            d.parse::<jiff::civil::Date>().map_err(|_| {
                Invalid::new(
                    "date_of_birth",
                    format!("'{d}' is not a date; use YYYY-MM-DD"),
                )
            })?;
        }
        let years = match (request.age_from, request.age_to) {
            (Some(a), Some(b)) if a <= b => {
                let year = i64::from(today(app).year());
                Some((year - i64::from(b) - 1, year - i64::from(a)))
            }
            (None, None) => None,
            _ => {
                return Err(Invalid::new(
                    "age_from",
                    "give an age range from and to, youngest first",
                )
                .into());
            }
        };
        result.people = index
            .people(name, dob.as_deref(), years, 10)
            .map_err(search_error)?;
        result.searched.push(format!("name '{}'", name.trim()));
    }
    let mut phones = Vec::new();
    if let Some(phone) = request.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        let e164 = E164::parse("phone", phone)?;
        result.phone = index.phone(e164.as_str(), 20).map_err(search_error)?;
        result.searched.push(format!("phone {e164}"));
        phones.push(e164.to_string());
    }
    if let Some(vrm) = request.vrm.as_deref().filter(|v| !v.trim().is_empty()) {
        let vrm = Vrm::parse("vrm", vrm)?;
        result.vehicles = index.vrm(vrm.as_str(), 10).map_err(search_error)?;
        result.searched.push(format!("registration {vrm}"));
    }
    if let Some(serial) = request.serial.as_deref().filter(|v| !v.trim().is_empty()) {
        let serial = controlroom_domain::pole::normalise_serial("serial", serial)?;
        result.property = index.serial(&serial, 10).map_err(search_error)?;
        result.searched.push(format!("serial {serial}"));
    }
    if let Some(text) = request.location.as_deref().filter(|l| !l.trim().is_empty()) {
        let postcode = Postcode::parse("location", text).ok();
        let district = postcode
            .is_none()
            .then(|| postcode_district(text))
            .filter(|d| {
                d.len() <= 4 && d.chars().any(|c| c.is_ascii_digit()) && !text.trim().contains(' ')
            });
        result.locations = index
            .locations(
                postcode.as_ref().map(Postcode::as_str),
                district.as_deref(),
                text,
                10,
            )
            .map_err(search_error)?;
        result.searched.push(format!("location '{}'", text.trim()));
    }
    if let Some((lat, lon, metres)) = request.near {
        controlroom_domain::contact::Coordinates::parse(lat, lon)?;
        let metres = metres.clamp(1.0, 5_000.0);
        result.locations.extend(
            index
                .near("location", lat, lon, metres, None, 20)
                .map_err(search_error)?,
        );
        result
            .searched
            .push(format!("within {metres} m of {lat:.5}, {lon:.5}"));
    }
    // The place of the call: the UPRN asked for, or the first contact's. Markers on an address
    // must reach the handler whenever a call is placed there, however the address was typed,
    // so the location records at the UPRN come first; those near the call's position (records
    // with no UPRN, or the one next door) after them.
    let first_location = current
        .as_ref()
        .and_then(|i| i.contacts.first())
        .map(|c| &c.location);
    let uprn = match optional_text("uprn", request.uprn.as_deref(), limits::UPRN)? {
        Some(raw) => Some(uprn_key(&raw).ok_or_else(|| {
            Invalid::new(
                "uprn",
                format!("'{raw}' is not a UPRN (1 to 12 digits, not 0)"),
            )
        })?),
        None => first_location
            .and_then(|l| l.uprn.as_ref())
            .and_then(|u| uprn_key(u.as_str())),
    };
    let position = first_location
        .and_then(|l| l.coordinates)
        .map(|c| (c.lat, c.lon));
    let mut at_place = Vec::new();
    if let Some(u) = &uprn {
        at_place = index
            .same_uprn("location", u, None, 20)
            .map_err(search_error)?;
        result.searched.push(format!("address UPRN {u}"));
    }
    if request.near.is_none()
        && let Some((lat, lon)) = position
    {
        at_place.extend(
            index
                .near("location", lat, lon, PLACE_METRES, None, 20)
                .map_err(search_error)?,
        );
        result.searched.push(format!(
            "within {PLACE_METRES} m of the call's position {lat:.5}, {lon:.5}"
        ));
    }
    result.locations = merge_hits([at_place, std::mem::take(&mut result.locations)]);

    // Markers on everything found: officers must know before they go.
    let found: Vec<RecordRef> = result
        .people
        .iter()
        .chain(&result.phone)
        .chain(&result.vehicles)
        .chain(&result.property)
        .chain(&result.locations)
        .filter_map(|h| {
            Some(RecordRef {
                kind: Kind::parse(&h.kind).ok()?,
                id: h.id.parse().ok()?,
            })
        })
        .filter(|r| r.kind != Kind::Incident)
        .collect();
    // The same person may be found by name and by phone: look at each record once.
    let mut seen = std::collections::HashSet::new();
    let found: Vec<RecordRef> = found.into_iter().filter(|r| seen.insert(*r)).collect();
    let mut ids: Vec<String> = Vec::new();
    let mut point = None;
    let today = today(app);
    // The records carrying a standing warning: recorded on the incident, so the dispatch
    // board can show their markers beside it without searching again.
    let mut warnings_on = Vec::new();
    for reference in found.iter().take(20) {
        if let Some(record) = load(app, *reference).await? {
            let why = result
                .locations
                .iter()
                .find(|h| h.id == reference.id.to_string())
                .and_then(|h| {
                    match (
                        &uprn,
                        h.reasons.iter().any(|r| r.starts_with("same address")),
                    ) {
                        (Some(u), true) => Some(format!("marker on this address (UPRN {u})")),
                        _ => h
                            .distance_metres
                            .map(|d| format!("marker {} m away", d.round())),
                    }
                });
            // A withdrawn marker is no warning: it stays on the record's page, not here.
            for marker in record.markers.iter().filter(|m| m.withdrawn.is_none()) {
                result.markers.push(FoundMarker {
                    on: record.label(),
                    marker: marker.clone(),
                    expired: marker.expired(today),
                    why: why.clone(),
                });
            }
            if record.markers.iter().any(|m| m.current(today)) {
                warnings_on.push(*reference);
            }
            if point.is_none() {
                point = record.location.as_ref().and_then(|l| l.lat.zip(l.lon));
            }
        }
        ids.push(reference.id.to_string());
    }
    ids.sort();
    ids.dedup();
    let own = current.as_ref().map(|i| i.id.to_string());
    result.phone.retain(|h| Some(&h.id) != own.as_ref());
    result.history = history(
        app,
        &ids,
        &phones,
        Some(since),
        point,
        uprn.as_deref(),
        own.as_deref(),
    )?;

    // Repeat and duplicate detection for the call being taken.
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    if let Some(incident) = &current {
        let first = incident.contacts.first();
        let year_ago = micros(now - SignedDuration::from_hours(24 * 365));
        if let Some(phone) = first
            .and_then(|c| c.caller.phone.as_ref())
            .and_then(PhoneNumber::e164)
        {
            result.repeats.caller = count(
                index
                    .incidents_by_phone(&[phone.to_string()], Some(year_ago), 1000)
                    .map_err(search_error)?
                    .iter()
                    .filter(|h| Some(&h.id) != own.as_ref())
                    .count(),
            );
        }
        // The same address (by UPRN) is a match whatever the spelling; then the same place by
        // distance. Each incident counted once.
        let hour_ago = micros(now - SignedDuration::from_hours(1));
        let (mut in_year, mut in_hour) = (Vec::new(), Vec::new());
        if let Some(u) = &uprn {
            in_year.push(
                index
                    .same_uprn("incident", u, Some(year_ago), 1000)
                    .map_err(search_error)?,
            );
            in_hour.push(
                index
                    .same_uprn("incident", u, Some(hour_ago), 50)
                    .map_err(search_error)?,
            );
        }
        if let Some(c) = first.and_then(|c| c.location.coordinates) {
            in_year.push(
                index
                    .near("incident", c.lat, c.lon, 50.0, Some(year_ago), 1000)
                    .map_err(search_error)?,
            );
            in_hour.push(
                index
                    .near("incident", c.lat, c.lon, 200.0, Some(hour_ago), 50)
                    .map_err(search_error)?,
            );
        }
        let merged = |lists: Vec<Vec<Hit>>| {
            let mut all = Vec::new();
            for list in lists {
                all = merge_hits([all, list]);
            }
            all
        };
        result.repeats.location = count(
            merged(in_year)
                .iter()
                .filter(|h| Some(&h.id) != own.as_ref())
                .count(),
        );
        result.possible_duplicates = merged(in_hour)
            .into_iter()
            .filter(|h| {
                Some(&h.id) != own.as_ref() && h.status.as_deref() != Some(Status::Closed.as_str())
            })
            .collect();
        let victims: Vec<String> = result.people.iter().take(1).map(|h| h.id.clone()).collect();
        result.repeats.victim = count(
            index
                .links(&victims, Some(year_ago), 1000)
                .map_err(search_error)?
                .iter()
                .filter(|l| l.role.as_deref() == Some(LinkRole::Victim.as_str()))
                .count(),
        );
    }

    let RepeatCounts {
        victim,
        caller,
        location,
    } = result.repeats;
    result.repeat = [caller, location, victim]
        .iter()
        .any(|n| usize::try_from(*n).map_or(true, |n| n >= app.settings.repeat_threshold));

    // The check goes into the incident log; the search itself into the audit trail.
    let summary = format!(
        "Intelligence check: searched {}. Found {} people, {} by phone, {} vehicles, {} locations; {} incidents in {} days; {} warning markers ({} current).{}{}",
        if result.searched.is_empty() {
            "nothing".to_owned()
        } else {
            result.searched.join(", ")
        },
        result.people.len(),
        result.phone.len(),
        result.vehicles.len(),
        result.locations.len(),
        result.history.len(),
        days,
        result.markers.len(),
        result.markers.iter().filter(|m| !m.expired).count(),
        if result.repeat {
            format!(
                " Repeat: caller {}, location {}, victim {}.",
                caller, location, victim
            )
        } else {
            String::new()
        },
        if result.possible_duplicates.is_empty() {
            String::new()
        } else {
            format!(
                " {} possible duplicate(s) open nearby.",
                result.possible_duplicates.len()
            )
        },
    );
    // Officers must know the markers before they go: their words go to the log, not a count.
    let mut summary = summary;
    for found in &result.markers {
        if !found.expired {
            let marker = &found.marker;
            summary.push_str(&format!(
                " WARNING {} on {}{}: {} (source: {}; review by {}).",
                marker.kind.as_str().replace('_', " ").to_uppercase(),
                found.on,
                found
                    .why
                    .as_ref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default(),
                marker.reason,
                marker.source,
                marker.review_by
            ));
        }
    }
    let mut tx = app.store.begin().await?;
    let stream = match incident {
        Some(id) => incident_stream(id),
        None => "search".to_owned(),
    };
    tx.append(access_record(
        stream,
        "intelligence_check",
        actor,
        now,
        json!({
            "searched": result.searched,
            "found": found.len(),
            // DPA 2018 s.62: what was consulted, not only how much. Every record and incident
            // the answer showed, by kind and id, and the records whose markers it showed.
            "shown": shown(&result),
            "markers_on": result.markers.iter().map(|m| m.on.as_str()).collect::<Vec<_>>(),
        }),
    ))
    .await?;
    if let Some(id) = incident {
        let records = tx.stream(&incident_stream(id)).await?;
        if let Some(state) = rebuild(&records, None)?
            && state.status != Status::Closed
        {
            let mut events = decide(
                Some(&state),
                IncidentCommand::add_log_entry(&summary, None)?,
            )?;
            // The repeat counts feed the recommendation (grading policy's repeat rules).
            events.extend(decide(
                Some(&state),
                IncidentCommand::RecordIntelligenceCheck {
                    repeats: result.repeats,
                    warnings_on,
                },
            )?);
            return crate::incidents::record(app, tx, actor, Some(state), events, None)
                .await
                .map(|_| result);
        }
    }
    tx.commit().await?;
    Ok(result)
}

/// How far a [`reindex_with`] has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReindexProgress {
    /// The kind of record being read now.
    pub kind: controlroom_domain::stream::StreamKind,
    /// Streams (records) read so far, of every kind.
    pub streams: usize,
    /// Documents added to the new index so far.
    pub documents: usize,
}

/// Rebuild the whole index from the store (every person, vehicle, location and incident) and
/// rewrite the incident and crime lists from their events.
pub async fn reindex(app: &App) -> Result<usize, AppError> {
    reindex_with(app, |_| {}).await
}

/// [`reindex`], telling `progress` after each page of 2,000 streams. The new index is built
/// beside the one searches use and switched to in one commit at the end (a failure keeps the
/// old); searches meanwhile read the old one, and writes carry on (the lists are rewritten a
/// page per transaction, never under one lock for the whole log). Memory stays that of one
/// page: documents go to the index as each page is read.
pub async fn reindex_with(
    app: &App,
    mut progress: impl FnMut(&ReindexProgress),
) -> Result<usize, AppError> {
    let index = app.search()?;
    let _no_catch_up_meanwhile = app.search_feed.lock().await;
    // The mark first: whatever is written while the streams are folded comes after it, and
    // the index's catch-up takes it in from there.
    let after = app.store.chain_head().await?.map_or(0, |(seq, _)| seq);
    index.begin_rebuild().map_err(search_error)?;
    match rebuild_pages(app, &mut progress).await {
        Ok(documents) => {
            index.finish_rebuild(after).map_err(search_error)?;
            Ok(documents)
        }
        Err(e) => {
            // What this process indexed as it wrote went with the abandoned rebuild: the
            // catch-up must fold those streams again, not skip them.
            app.indexed_here().clear();
            index.abandon_rebuild().map_err(search_error)?;
            Err(e)
        }
    }
}

/// Every stream the index and the lists hold, a page at a time: documents into the rebuild,
/// list rows rewritten. Returns how many documents were added.
async fn rebuild_pages(
    app: &App,
    progress: &mut impl FnMut(&ReindexProgress),
) -> Result<usize, AppError> {
    use controlroom_domain::stream::{StreamId, StreamKind};
    /// Streams read per query: each page is one query and, for incidents and crimes, one
    /// transaction rewriting their rows, so the write lock is never held for the whole log.
    const PAGE: i64 = 2_000;
    let index = app.search()?;
    let mut done = ReindexProgress {
        kind: StreamKind::Incident,
        streams: 0,
        documents: 0,
    };
    // Only the kinds the index and the lists hold, each read a page of streams at a time in
    // one pass (time linear in what they hold): nothing else in the log is read.
    for kind in [
        StreamKind::Incident,
        StreamKind::Crime,
        StreamKind::Person,
        StreamKind::Vehicle,
        StreamKind::Location,
        StreamKind::Property,
    ] {
        done.kind = kind;
        let mut last = String::new();
        loop {
            let page = app.store.streams_page(kind, &last, PAGE).await?;
            let Some(end) = page.last() else { break };
            last = end.stream.clone();
            let mut docs = Vec::new();
            let mut rows = Vec::new();
            let mut crime_rows = Vec::new();
            for records in page.chunk_by(|a, b| a.stream == b.stream) {
                done.streams += 1;
                let Ok(id) = StreamId::parse(&records[0].stream) else {
                    continue;
                };
                let Some(uuid) = id.uuid() else { continue };
                match kind {
                    // The lists are projections too: rewritten, so columns added by a migration
                    // (e.g. the NCRS clock) are filled for records made before it.
                    StreamKind::Incident => {
                        if let Some(incident) = rebuild(records, None)? {
                            docs.push(incident_document(&incident));
                            rows.push(crate::records::incident_row(&incident));
                        }
                    }
                    StreamKind::Crime => {
                        if let Some(crime) = crate::crimes::rebuild(uuid, records)? {
                            docs.extend(crate::crimes::crime_documents(
                                uuid,
                                &crime,
                                &app.settings.reference,
                            ));
                            crime_rows.push(crate::crimes::crime_row(uuid, &crime));
                        }
                    }
                    _ => docs.extend(crate::search_feed::documents_of(app, &id, records)?),
                }
            }
            if !rows.is_empty() || !crime_rows.is_empty() {
                let mut tx = app.store.begin().await?;
                for row in &rows {
                    tx.save_incident_row(row).await?;
                }
                for row in &crime_rows {
                    tx.save_crime_row(row).await?;
                }
                tx.commit().await?;
            }
            index.add_rebuilt(&docs).map_err(search_error)?;
            done.documents += docs.len();
            progress(&done);
        }
    }
    Ok(done.documents)
}
