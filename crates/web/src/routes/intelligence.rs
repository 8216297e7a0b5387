//! Intelligence: POLE records, markers, links, merges, and the checks handlers run.

use super::{Answer, Created};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Call, Caller, Change, MarkerPath, PathId, PersonId, RecordPath};
use axum::Json;
use controlroom_app::intelligence::{
    self, CheckRequest, CheckResult, LinkedRecord, LocationInput, RecordView,
};
use controlroom_domain::incident::IncidentId;
use controlroom_domain::pole::{Kind, PersonDraft, PoleRecord, RecordRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// The main name first, then aliases.
    pub names: Vec<String>,
    /// YYYY-MM-DD.
    #[schema(max_length = 10)]
    pub date_of_birth: Option<String>,
    #[schema(maximum = 255)]
    pub age_from: Option<u8>,
    #[schema(maximum = 255)]
    pub age_to: Option<u8>,
    #[schema(max_length = 40)]
    pub gender: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

impl PersonInput {
    fn draft(self) -> PersonDraft {
        PersonDraft {
            names: self.names,
            date_of_birth: self.date_of_birth,
            age_from: self.age_from,
            age_to: self.age_to,
            gender: self.gender,
            phones: self.phones,
            addresses: self.addresses,
            description: self.description,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleInput {
    /// Registration mark, any spacing or case.
    pub vrm: String,
    #[schema(max_length = 60)]
    pub make: Option<String>,
    #[schema(max_length = 60)]
    pub model: Option<String>,
    #[schema(max_length = 40)]
    pub colour: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRecordInput {
    #[schema(max_length = 500)]
    pub address: String,
    #[schema(max_length = 10)]
    pub postcode: Option<String>,
    #[schema(max_length = 12)]
    pub uprn: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    #[schema(max_length = 40)]
    pub beat: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkerInput {
    /// weapons, violence, firearms_access, mental_health, drugs, infectious_disease, vulnerable_resident, officer_safety.
    pub kind: String,
    #[schema(max_length = 1000)]
    pub reason: String,
    #[schema(max_length = 200)]
    pub source: String,
    /// YYYY-MM-DD: after it the marker shows as expired.
    pub review_by: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// person, vehicle, location or incident.
    pub to_kind: String,
    pub to_id: Uuid,
    /// caller, victim, suspect, witness, subject, resident, owner or keeper.
    pub role: String,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    pub into: Uuid,
    #[schema(max_length = 1000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmergeInput {
    #[schema(max_length = 1000)]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    #[schema(maximum = 255)]
    pub age_from: Option<u8>,
    #[schema(maximum = 255)]
    pub age_to: Option<u8>,
    /// Any written form: 07700 900123, +44 7700 900123…
    #[schema(max_length = 40)]
    pub phone: Option<String>,
    #[schema(max_length = 20)]
    pub vrm: Option<String>,
    /// A serial number or IMEI, any spacing or case.
    #[schema(max_length = 60)]
    pub serial: Option<String>,
    /// Address words, a postcode or a partial postcode.
    #[schema(max_length = 300)]
    pub location: Option<String>,
    pub near_lat: Option<f64>,
    pub near_lon: Option<f64>,
    pub near_metres: Option<f64>,
    /// The gazetteer's UPRN of the place (1 to 12 digits): location records at that address,
    /// and incidents placed there, are found whatever their text. On an incident's check,
    /// the first contact's UPRN when not given.
    #[schema(max_length = 12)]
    pub uprn: Option<String>,
    /// History period in days (default 365).
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub days: Option<u32>,
}

impl CheckInput {
    fn request(self) -> Result<CheckRequest, ApiError> {
        let near = match (self.near_lat, self.near_lon) {
            (Some(lat), Some(lon)) => Some((lat, lon, self.near_metres.unwrap_or(100.0))),
            (None, None) => None,
            _ => {
                return Err(ApiError::invalid(
                    "near_lat",
                    "near_lat: give both near_lat and near_lon, or neither",
                ));
            }
        };
        Ok(CheckRequest {
            name: self.name,
            date_of_birth: self.date_of_birth,
            age_from: self.age_from,
            age_to: self.age_to,
            phone: self.phone,
            vrm: self.vrm,
            serial: self.serial,
            location: self.location,
            near,
            uprn: self.uprn,
            days: self.days,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkerView {
    /// On a record: its number there (1, 2, 3… in the order added), to withdraw it by.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub number: Option<u32>,
    pub kind: String,
    pub reason: String,
    pub source: String,
    pub added_by: String,
    pub review_by: String,
    /// Past its review date: shown, but as expired.
    pub expired: bool,
    /// Withdrawn (no longer a warning): why, by whom and when. Never deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<WithdrawalView>,
    /// The record it is on (in check results).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// In check results, for a record found by its place: why it concerns this call, e.g.
    /// "marker on this address (UPRN 72001234)" or "marker 30 m away".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawalView {
    pub reason: String,
    pub by: String,
    pub at: String,
}

impl MarkerView {
    pub fn build(
        m: &controlroom_domain::pole::Marker,
        today: jiff::civil::Date,
        number: Option<u32>,
        on: Option<String>,
    ) -> Self {
        Self {
            number,
            kind: m.kind.as_str().to_owned(),
            reason: m.reason.clone(),
            source: m.source.clone(),
            added_by: m.added_by.clone(),
            review_by: m.review_by.to_string(),
            expired: m.expired(today),
            withdrawn: m.withdrawn.as_ref().map(|w| WithdrawalView {
                reason: w.reason.clone(),
                by: w.by.clone(),
                at: w.at.to_string(),
            }),
            on,
            why: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDto {
    pub kind: String,
    pub id: String,
    pub label: String,
    /// Person, vehicle or location details as recorded.
    pub details: serde_json::Value,
    pub markers: Vec<MarkerView>,
    pub merged_into: Option<String>,
    /// What was merged into it, its links and its history.
    #[serde(flatten)]
    pub seen: RecordView,
    pub version: u64,
}

fn record_dto(seen: RecordView, today: jiff::civil::Date) -> RecordDto {
    let record = &seen.record;
    let details = if let Some(p) = &record.person {
        serde_json::to_value(p)
    } else if let Some(v) = &record.vehicle {
        serde_json::to_value(v)
    } else if let Some(p) = &record.property {
        serde_json::to_value(p)
    } else {
        serde_json::to_value(&record.location)
    }
    .unwrap_or(serde_json::Value::Null);
    RecordDto {
        kind: record.reference.kind.as_str().to_owned(),
        id: record.reference.id.to_string(),
        label: record.label(),
        details,
        markers: (1..)
            .zip(&record.markers)
            .map(|(number, m)| MarkerView::build(m, today, Some(number), None))
            .collect(),
        merged_into: record.merged_into.map(|m| m.to_string()),
        version: record.version,
        seen,
    }
}

fn today(state: &AppState) -> jiff::civil::Date {
    state
        .app
        .clock
        .now()
        .to_zoned(state.app.settings.time_zone.clone())
        .date()
}

fn written(state: &AppState, record: PoleRecord) -> Created<RecordDto> {
    super::created(record_dto(RecordView::written(record), today(state)))
}

/// The record as written.
#[derive(utoipa::IntoResponses)]
#[response(status = 201)]
#[allow(dead_code)]
pub struct Written(RecordDto);

/// The kinds of record in the `{kind}` part of a record's address.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RecordKind {
    Person,
    Vehicle,
    Location,
    Property,
    Incident,
}

/// Record a person.
#[utoipa::path(post, path = "/api/v1/people", tag = "intelligence", request_body = PersonInput,
    responses(Written))]
pub async fn add_person(c: Call<PersonInput>) -> Created<RecordDto> {
    let (c, body) = c.split();
    let record = intelligence::record_person(c.app(), &c.actor, body.draft(), c.key()).await?;
    written(&c.state, record)
}

/// Change a person's details (names, date of birth, phones, addresses).
#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "intelligence", request_body = PersonInput,
    responses(Written))]
pub async fn update_person(c: Change<PersonId, PersonInput>) -> Created<RecordDto> {
    let (c, body) = c.split();
    let record = intelligence::update_person(c.app(), &c.actor, c.id.0, body.draft()).await?;
    written(&c.state, record)
}

/// Record a vehicle.
#[utoipa::path(post, path = "/api/v1/vehicles", tag = "intelligence", request_body = VehicleInput,
    responses(Written))]
pub async fn add_vehicle(c: Call<VehicleInput>) -> Created<RecordDto> {
    let (c, b) = c.split();
    let record = intelligence::record_vehicle(
        c.app(),
        &c.actor,
        &b.vrm,
        b.make.as_deref(),
        b.model.as_deref(),
        b.colour.as_deref(),
        c.key(),
    )
    .await?;
    written(&c.state, record)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyInput {
    pub description: String,
    /// Serial number, IMEI or frame number.
    pub serial: Option<String>,
}

/// Record property (a phone handset, a bicycle…), searchable by serial number.
#[utoipa::path(post, path = "/api/v1/property", tag = "intelligence", request_body = PropertyInput,
    responses(Written))]
pub async fn add_property(c: Call<PropertyInput>) -> Created<RecordDto> {
    let (c, b) = c.split();
    let record = intelligence::record_property(
        c.app(),
        &c.actor,
        &b.description,
        b.serial.as_deref(),
        c.key(),
    )
    .await?;
    written(&c.state, record)
}

/// Record a location.
#[utoipa::path(post, path = "/api/v1/locations", tag = "intelligence", request_body = LocationRecordInput,
    responses(Written))]
pub async fn add_location(c: Call<LocationRecordInput>) -> Created<RecordDto> {
    let (c, b) = c.split();
    let input = LocationInput {
        address: &b.address,
        postcode: b.postcode.as_deref(),
        uprn: b.uprn.as_deref(),
        lat: b.lat,
        lon: b.lon,
        beat: b.beat.as_deref(),
    };
    let record = intelligence::record_location(c.app(), &c.actor, input, c.key()).await?;
    written(&c.state, record)
}

/// A record with its markers, links and history. The look is recorded in the audit trail.
#[utoipa::path(get, path = "/api/v1/records/{kind}/{id}", tag = "intelligence",
    responses((status = 200, body = RecordDto)))]
pub async fn get_record(c: Caller, RecordPath(r): RecordPath) -> Answer<RecordDto> {
    let seen = intelligence::view(c.app(), &c.actor, r).await?;
    Ok(Json(record_dto(seen, today(&c.state))))
}

/// Add a warning marker to a person, vehicle or location.
#[utoipa::path(post, path = "/api/v1/records/{kind}/{id}/markers", tag = "intelligence", request_body = MarkerInput,
    responses(Written))]
pub async fn add_marker(c: Change<RecordPath, MarkerInput>) -> Created<RecordDto> {
    let (c, b) = c.split();
    let record = intelligence::add_marker(
        c.app(),
        &c.actor,
        c.id.0,
        intelligence::MarkerDraft {
            kind: &b.kind,
            reason: &b.reason,
            source: &b.source,
            review_by: &b.review_by,
        },
        c.key(),
    )
    .await?;
    written(&c.state, record)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawMarkerInput {
    /// Why the marker no longer applies (kept on the record with the marker).
    pub reason: String,
}

/// Withdraw a warning marker, with the reason. It stays on the record, shown as withdrawn,
/// and intelligence checks and the dispatch board no longer warn of it.
#[utoipa::path(post, path = "/api/v1/records/{kind}/{id}/markers/{number}/withdraw", tag = "intelligence", request_body = WithdrawMarkerInput,
    responses(Written))]
pub async fn withdraw_marker(c: Change<MarkerPath, WithdrawMarkerInput>) -> Created<RecordDto> {
    let MarkerPath(r, number) = c.id;
    let record =
        intelligence::withdraw_marker(c.app(), &c.actor, r, number, &c.body.reason).await?;
    written(&c.state, record)
}

/// Link a record to another, with a role (e.g. a person to an incident as victim).
#[utoipa::path(post, path = "/api/v1/records/{kind}/{id}/links", tag = "intelligence", request_body = LinkInput,
    responses(Written))]
pub async fn add_link(c: Change<RecordPath, LinkInput>) -> Created<RecordDto> {
    let b = &c.body;
    let to = RecordRef {
        kind: Kind::parse(&b.to_kind).map_err(|e| ApiError::invalid("to_kind", e.to_string()))?,
        id: b.to_id,
    };
    let from = c.id.0;
    let record =
        intelligence::link(c.app(), &c.actor, from, to, &b.role, b.note.as_deref()).await?;
    written(&c.state, record)
}

/// Record that this person is the same as another. Links stay where they are.
#[utoipa::path(post, path = "/api/v1/people/{id}/merge", tag = "intelligence", request_body = MergeInput,
    responses(Written))]
pub async fn merge(c: Change<PersonId, MergeInput>) -> Created<RecordDto> {
    let b = &c.body;
    let record = intelligence::merge(c.app(), &c.actor, c.id.0, b.into, &b.reason).await?;
    written(&c.state, record)
}

/// Undo a merge.
#[utoipa::path(post, path = "/api/v1/people/{id}/unmerge", tag = "intelligence", request_body = UnmergeInput,
    responses(Written))]
pub async fn unmerge(c: Change<PersonId, UnmergeInput>) -> Created<RecordDto> {
    let record = intelligence::unmerge(c.app(), &c.actor, c.id.0, &c.body.reason).await?;
    written(&c.state, record)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    #[serde(flatten)]
    pub found: CheckResult,
    pub markers: Vec<MarkerView>,
    pub repeat_caller: u32,
    pub repeat_location: u32,
    pub repeat_victim: u32,
}

fn check_view(mut found: CheckResult, today: jiff::civil::Date) -> CheckView {
    let markers = std::mem::take(&mut found.markers);
    let repeats = found.repeats;
    CheckView {
        markers: markers
            .into_iter()
            .map(|m| MarkerView {
                expired: m.expired,
                why: m.why,
                ..MarkerView::build(&m.marker, today, None, Some(m.on))
            })
            .collect(),
        repeat_caller: repeats.caller,
        repeat_location: repeats.location,
        repeat_victim: repeats.victim,
        found,
    }
}

/// Search people, phones, vehicles and locations, with their history and markers. Recorded in
/// the audit trail.
#[utoipa::path(post, path = "/api/v1/search", tag = "intelligence", request_body = CheckInput,
    responses((status = 200, body = CheckView)))]
pub async fn search(c: Call<CheckInput>) -> Answer<CheckView> {
    let (c, body) = c.split();
    let result = intelligence::check(c.app(), &c.actor, None, body.request()?).await?;
    Ok(Json(check_view(result, today(&c.state))))
}

/// An intelligence check during a call: as search, plus repeat and duplicate detection for
/// this incident, written to its log.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/intelligence", tag = "intelligence", request_body = CheckInput,
    responses((status = 200, body = CheckView)))]
pub async fn incident_check(c: Change<IncidentId, CheckInput>) -> Answer<CheckView> {
    let (c, body) = c.split();
    let result = intelligence::check(c.app(), &c.actor, Some(c.id), body.request()?).await?;
    Ok(Json(check_view(result, today(&c.state))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedRecordView {
    /// person, vehicle, location or property.
    pub kind: String,
    pub id: String,
    #[serde(flatten)]
    pub linked: LinkedRecord,
}

/// The people, vehicles and locations linked to an incident, with their role. The look is
/// recorded in the audit trail.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/links", tag = "intelligence",
    responses((status = 200, body = Vec<LinkedRecordView>)))]
pub async fn incident_links(
    c: Caller,
    PathId(id): PathId<IncidentId>,
) -> Answer<Vec<LinkedRecordView>> {
    let linked = intelligence::incident_links(c.app(), &c.actor, id).await?;
    Ok(Json(
        linked
            .into_iter()
            .map(|linked| LinkedRecordView {
                kind: linked.record.kind.as_str().to_owned(),
                id: linked.record.id.to_string(),
                linked,
            })
            .collect(),
    ))
}
