//! Crime records: record from an incident, read, reclassify, and removal (HOCR Section C).

use super::Answer;
use crate::AppState;
use crate::dto::{Stamp, micros_text};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Call, Caller, Change, CrimeId, PathId};
use axum::Json;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::crimes::{self, Crime, CrimeDraft, CrimeRow};
use controlroom_domain::crime::CrimeCommand;
use controlroom_domain::incident::IncidentId;
use controlroom_domain::ncrs::CancellationReason;
use controlroom_domain::reference::ReferenceData;
use controlroom_domain::text::Code;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// A person record's id.
    pub person: String,
    /// `victim`, `suspect` or `witness`.
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    /// Home Office offence classification, e.g. `8N`, `105A`.
    pub classification: String,
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    /// When the offence happened (or began), RFC 3339.
    pub offence_from: String,
    pub offence_to: Option<String>,
    /// Defaults to the location the first caller gave.
    #[schema(max_length = 500)]
    pub location: Option<String>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub modus_operandi: String,
}

/// A crime reported directly (online, at the front counter, by referral): no incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectRecordInput {
    pub classification: String,
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    /// When the report reached the police, RFC 3339.
    pub reported_at: String,
    pub offence_from: String,
    pub offence_to: Option<String>,
    /// Where it happened (required: there is no incident to take it from).
    #[schema(max_length = 500)]
    pub location: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub modus_operandi: String,
}

impl RecordInput {
    fn draft(self) -> CrimeDraft {
        CrimeDraft {
            classification: self.classification,
            parties: self
                .parties
                .into_iter()
                .map(|p| (p.person, p.role))
                .collect(),
            offence_from: self.offence_from,
            offence_to: self.offence_to,
            location: self.location,
            modus_operandi: self.modus_operandi,
        }
    }
}

impl DirectRecordInput {
    /// When it was reported, and the record as from an incident but with its place given.
    fn split(self) -> (String, RecordInput) {
        let record = RecordInput {
            classification: self.classification,
            parties: self.parties,
            offence_from: self.offence_from,
            offence_to: self.offence_to,
            location: Some(self.location),
            modus_operandi: self.modus_operandi,
        };
        (self.reported_at, record)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReclassifyInput {
    pub classification: String,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationInput {
    /// HOCR Section C reason: `C1`, `C2`, `C3` or `C4`.
    pub reason: String,
    pub rationale: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReclassificationView {
    pub from: String,
    pub to: String,
    pub reason: String,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyView {
    pub person: String,
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CancellationView {
    pub reason: String,
    pub reason_label: String,
    pub rationale: String,
    pub requested_by: String,
    /// Set once the crime registrar has approved the removal.
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

/// A crime record: the row the crime list shows, and the rest of the record.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrimeView {
    #[serde(flatten)]
    pub summary: CrimeSummary,
    pub first_classification: String,
    pub reclassifications: Vec<ReclassificationView>,
    /// The ids of the incidents it was recorded from.
    pub incidents: Vec<String>,
    /// Their references, as a person reads them (e.g. 20261130-0012).
    pub incident_references: Vec<String>,
    pub parties: Vec<PartyView>,
    pub offence_from: String,
    pub offence_to: Option<String>,
    pub modus_operandi: String,
    pub cancellation: Option<CancellationView>,
    /// Where the investigation stands: `unscreened`, `filing_awaiting_approval`, `filed`,
    /// `under_investigation`, `finalisation_awaiting_review` or `finalised`.
    pub stage: String,
    /// Everything after recording (screenings, enquiries, CSI requests, victims' care and
    /// update deadlines, flags, links, finalisation), as the investigation panel reads it.
    #[schema(value_type = Object)]
    pub investigation: serde_json::Value,
}

pub(super) fn view(state: &AppState, crime: &Crime) -> CrimeView {
    let r = &crime.record;
    let cancellation_view = |req: &controlroom_domain::ncrs::CancellationRequest,
                             by: Option<(String, String)>| {
        CancellationView {
            reason: req.reason.as_str().to_owned(),
            reason_label: req.reason.label().to_owned(),
            rationale: req.rationale.clone(),
            requested_by: req.requested_by.clone(),
            approved_by: by.as_ref().map(|b| b.0.clone()),
            approved_at: by.map(|b| b.1),
        }
    };
    let cancellation = match (&r.cancelled, &r.pending_cancellation) {
        (Some((req, by, at)), _) => Some(cancellation_view(
            req,
            Some((by.to_string(), at.to_string())),
        )),
        (None, Some(req)) => Some(cancellation_view(req, None)),
        (None, None) => None,
    };
    CrimeView {
        summary: CrimeSummary::of(
            crimes::crime_row(crime.id, r),
            &state.app.settings.reference,
        ),
        first_classification: r.recording.classification.to_string(),
        reclassifications: r
            .reclassifications
            .iter()
            .map(|c| ReclassificationView {
                from: c.from.to_string(),
                to: c.to.to_string(),
                reason: c.reason.clone(),
                stamp: Stamp::of(c.at, &c.by),
            })
            .collect(),
        incidents: r.recording.incidents.iter().map(Uuid::to_string).collect(),
        incident_references: crime.incident_references.clone(),
        parties: r
            .recording
            .parties
            .iter()
            .map(|p| PartyView {
                person: p.record.id.to_string(),
                role: p.role.as_str().to_owned(),
            })
            .collect(),
        offence_from: r.recording.offence_from.to_string(),
        offence_to: r.recording.offence_to.map(|t| t.to_string()),
        modus_operandi: r.recording.modus_operandi.clone(),
        cancellation,
        stage: r.investigation.stage().as_str().to_owned(),
        investigation: serde_json::to_value(&r.investigation).unwrap_or_default(),
    }
}

/// `201` with the crime; a retry with the same `Idempotency-Key` gets the first answer, marked.
fn created(state: &AppState, crime: &Crime) -> Response {
    super::replayed(
        (StatusCode::CREATED, Json(view(state, crime))),
        crime.replayed,
    )
}

/// Record a crime from an incident (NCRS recording decision: crime recorded).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/crimes", tag = "crime", request_body = RecordInput,
    responses((status = 201, body = CrimeView)))]
pub async fn record(c: Change<IncidentId, RecordInput>) -> Result<Response, ApiError> {
    let (c, b) = c.split();
    let crime = crimes::record_from_incident(c.request(), b.draft()).await?;
    Ok(created(&c.state, &crime))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrimeSummary {
    pub id: String,
    pub reference: String,
    pub classification: String,
    pub classification_name: Option<String>,
    /// `recorded`, `removal_requested` or `removed`.
    pub status: String,
    pub reported_at: String,
    pub recorded_at: String,
    pub recorded_by: String,
    /// The incident it came from; none for a crime reported directly.
    pub incident_id: Option<String>,
    pub location: String,
}

impl CrimeSummary {
    /// The crime's listed row, with its classification's name.
    fn of(r: CrimeRow, reference: &ReferenceData) -> Self {
        Self {
            classification_name: reference.offence(&r.classification).map(|o| o.name.clone()),
            reported_at: micros_text(r.reported_at_micros),
            recorded_at: micros_text(r.recorded_at_micros),
            id: r.id,
            reference: r.reference,
            classification: r.classification,
            status: r.status,
            recorded_by: r.recorded_by,
            incident_id: r.incident_id,
            location: r.location_text,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrimeList {
    pub crimes: Vec<CrimeSummary>,
    pub count: usize,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `recorded`, `removal_requested` (the registrar's removals awaiting approval) or
    /// `removed`; all when absent.
    status: Option<String>,
}

/// The crime list, newest first (at most 500); the listing is audited.
#[utoipa::path(get, path = "/api/v1/crimes", tag = "crime", params(ListParams),
    responses((status = 200, body = CrimeList)))]
pub async fn list(c: Caller, params: ApiQuery<ListParams>) -> Answer<CrimeList> {
    let ApiQuery(p) = params;
    let rows = crimes::list(c.app(), &c.actor, p.status.as_deref()).await?;
    let reference = &c.app().settings.reference;
    let crimes: Vec<CrimeSummary> = rows
        .into_iter()
        .map(|r| CrimeSummary::of(r, reference))
        .collect();
    Ok(Json(CrimeList {
        count: crimes.len(),
        crimes,
    }))
}

/// Record a crime reported directly, not through an incident (e.g. an online report).
#[utoipa::path(post, path = "/api/v1/crimes", tag = "crime", request_body = DirectRecordInput,
    responses((status = 201, body = CrimeView)))]
pub async fn record_direct(c: Call<DirectRecordInput>) -> Result<Response, ApiError> {
    let (c, b) = c.split();
    let (reported_at, record) = b.split();
    let crime =
        crimes::record_direct(c.app(), &c.actor, record.draft(), &reported_at, c.key()).await?;
    Ok(created(&c.state, &crime))
}

/// Read a crime record (the read is audited).
#[utoipa::path(get, path = "/api/v1/crimes/{id}", tag = "crime", responses(CrimeNow))]
pub async fn get(c: Caller, PathId(CrimeId(id)): PathId<CrimeId>) -> Answer<CrimeView> {
    let crime = crimes::get(c.app(), &c.actor, id).await?;
    Ok(Json(view(&c.state, &crime)))
}

/// Find a crime by its reference (e.g. `CR-2026-000123`), as typed when linking two crimes;
/// 404 when no crime has it. The read is audited.
#[utoipa::path(get, path = "/api/v1/crimes/by-reference/{reference}", tag = "crime",
    params(("reference" = String, Path, description = "the crime reference, e.g. CR-2026-000123")),
    responses(CrimeNow))]
pub async fn by_reference(c: Caller, ApiPath(reference): ApiPath<String>) -> Answer<CrimeView> {
    let crime = crimes::get_by_reference(c.app(), &c.actor, &reference).await?;
    Ok(Json(view(&c.state, &crime)))
}

/// The crime record as it now stands.
#[derive(utoipa::IntoResponses)]
#[response(status = 200)]
#[allow(dead_code)]
pub struct CrimeNow(CrimeView);

/// A crime change's body, read as the command it asks for.
trait CrimeChange {
    fn command(self) -> Result<CrimeCommand, ApiError>;
}

impl CrimeChange for ReclassifyInput {
    fn command(self) -> Result<CrimeCommand, ApiError> {
        let classification = Code::parse("classification", &self.classification)?;
        let reason = self.reason;
        Ok(CrimeCommand::Reclassify {
            classification,
            reason,
        })
    }
}

impl CrimeChange for CancellationInput {
    fn command(self) -> Result<CrimeCommand, ApiError> {
        let reason = CancellationReason::parse(&self.reason)?;
        let rationale = self.rationale;
        Ok(CrimeCommand::RequestCancellation { reason, rationale })
    }
}

impl CrimeChange for Empty {
    fn command(self) -> Result<CrimeCommand, ApiError> {
        Ok(CrimeCommand::ApproveCancellation)
    }
}

impl CrimeChange for DeclineInput {
    fn command(self) -> Result<CrimeCommand, ApiError> {
        Ok(CrimeCommand::DeclineCancellation { note: self.note })
    }
}

/// A change to a crime record, answered with the record as it now stands.
async fn change<T: CrimeChange>(c: Change<CrimeId, T>) -> Result<Response, ApiError> {
    let (c, body) = c.split();
    let crime = crimes::change(c.app(), &c.actor, c.id.0, body.command()?, c.key()).await?;
    Ok(super::replayed(
        Json(view(&c.state, &crime)),
        crime.replayed,
    ))
}

/// Reclassify (HOCR Section B): the earlier classification and the reason are kept.
#[utoipa::path(post, path = "/api/v1/crimes/{id}/reclassify", tag = "crime", request_body = ReclassifyInput,
    responses(CrimeNow))]
pub async fn reclassify(c: Change<CrimeId, ReclassifyInput>) -> Result<Response, ApiError> {
    change(c).await
}

/// Ask for a crime to be removed for a HOCR Section C reason; the crime registrar decides.
#[utoipa::path(post, path = "/api/v1/crimes/{id}/cancellation", tag = "crime", request_body = CancellationInput,
    responses(CrimeNow))]
pub async fn request_cancellation(
    c: Change<CrimeId, CancellationInput>,
) -> Result<Response, ApiError> {
    change(c).await
}

/// The crime registrar approves the removal; the crime stays on file, marked removed.
#[utoipa::path(post, path = "/api/v1/crimes/{id}/cancellation/approve", tag = "crime", request_body = Empty,
    responses(CrimeNow))]
pub async fn approve_cancellation(c: Change<CrimeId, Empty>) -> Result<Response, ApiError> {
    change(c).await
}

/// The crime registrar declines the removal, saying why; the crime stays recorded.
#[utoipa::path(post, path = "/api/v1/crimes/{id}/cancellation/decline", tag = "crime", request_body = DeclineInput,
    responses(CrimeNow))]
pub async fn decline_cancellation(c: Change<CrimeId, DeclineInput>) -> Result<Response, ApiError> {
    change(c).await
}
