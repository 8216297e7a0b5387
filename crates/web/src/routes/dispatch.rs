//! Dispatch: units, their status and positions, recommendations and assignment.

use super::{Answer, Created};
use crate::dto::IncidentView;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Call, Caller, Change, PathId};
use axum::Json;
use axum::http::StatusCode;
use controlroom_app::dispatch;
use controlroom_domain::incident::IncidentId;
use controlroom_domain::resources::{Candidate, Unit, UnitId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    /// As said on the radio, e.g. AL11.
    #[schema(max_length = 16)]
    pub call_sign: String,
    /// response, neighbourhood, roads_policing, armed_response, dog, csi or public_order.
    pub unit_type: String,
    /// taser, first_aid, detective, firearms, advanced_driver, dog_handler, public_order, forensic.
    #[serde(default)]
    pub skills: Vec<String>,
    #[schema(max_length = 100)]
    pub station: String,
    #[serde(default)]
    pub crew: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionInput {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// en_route, at_scene, available, refreshment, unavailable or off_duty.
    pub status: String,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    pub unit: uuid::Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub id: String,
    pub call_sign: String,
    pub unit_type: String,
    pub skills: Vec<String>,
    pub station: String,
    pub crew: Vec<String>,
    pub status: String,
    /// The id of the incident the unit is committed to.
    pub incident: Option<String>,
    /// That incident's reference, as said on the radio (e.g. 20261130-0012).
    pub incident_reference: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub position_at: Option<String>,
}

impl UnitView {
    /// The unit as the board shows it, naming its incident by reference.
    pub fn build(u: &Unit, app: &controlroom_app::App) -> Self {
        Self {
            id: u.id.to_string(),
            call_sign: u.call_sign.to_string(),
            unit_type: u.unit_type.as_str().to_owned(),
            skills: u.skills.iter().map(|s| s.as_str().to_owned()).collect(),
            station: u.station.clone(),
            crew: u.crew.clone(),
            status: u.status.as_str().to_owned(),
            incident: u.incident.map(|i| i.to_string()),
            incident_reference: u.incident.and_then(|i| app.units.incident_reference(i)),
            lat: u.position.map(|p| p.lat),
            lon: u.position.map(|p| p.lon),
            position_at: u.position.map(|p| p.at.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateView {
    pub unit: String,
    pub call_sign: String,
    /// Meets the incident's needs (unit type, skills).
    pub suitable: bool,
    /// Null when the incident has no position yet: the units are then listed by call sign,
    /// not by distance, and the first reason says so.
    pub distance_metres: Option<f64>,
    /// Estimated time to attend, in seconds; null (unknown) when the incident has no
    /// position yet.
    pub eta_seconds: Option<i64>,
    pub reasons: Vec<String>,
}

impl From<Candidate> for CandidateView {
    fn from(c: Candidate) -> Self {
        Self {
            unit: c.unit.to_string(),
            call_sign: c.call_sign.into(),
            suitable: c.suitable,
            distance_metres: c.distance_metres.map(f64::round),
            eta_seconds: c.eta.map(|e| e.as_secs()),
            reasons: c.reasons,
        }
    }
}

/// Register a unit.
#[utoipa::path(post, path = "/api/v1/units", tag = "dispatch", request_body = UnitInput,
    responses((status = 201, body = UnitView)))]
pub async fn register(c: Call<UnitInput>) -> Created<UnitView> {
    let (c, b) = c.split();
    let unit = dispatch::register(
        c.app(),
        &c.actor,
        &b.call_sign,
        &b.unit_type,
        &b.skills,
        &b.station,
        &b.crew,
    )
    .await?;
    super::created(UnitView::build(&unit, c.app()))
}

/// Every unit with its status and last position. The look is recorded in the audit trail.
#[utoipa::path(get, path = "/api/v1/units", tag = "dispatch", responses((status = 200, body = Vec<UnitView>)))]
pub async fn list(c: Caller) -> Answer<Vec<UnitView>> {
    let units = dispatch::list_units(c.app(), &c.actor).await?;
    Ok(Json(
        units.iter().map(|u| UnitView::build(u, c.app())).collect(),
    ))
}

/// A position report, as an automatic vehicle location feed sends.
#[utoipa::path(post, path = "/api/v1/units/{id}/position", tag = "dispatch", request_body = PositionInput,
    responses((status = 200, body = UnitView)))]
pub async fn position(c: Change<UnitId, PositionInput>) -> Answer<UnitView> {
    let (lat, lon) = (c.body.lat, c.body.lon);
    let unit = dispatch::report_position(c.app(), &c.actor, c.id, lat, lon).await?;
    Ok(Json(UnitView::build(&unit, c.app())))
}

/// A unit's status: en route, at scene, available (clear), refreshment, unavailable, off duty.
#[utoipa::path(post, path = "/api/v1/units/{id}/status", tag = "dispatch", request_body = StatusInput,
    responses((status = 200, body = UnitView)))]
pub async fn status(c: Change<UnitId, StatusInput>) -> Answer<UnitView> {
    let b = &c.body;
    let unit =
        dispatch::set_status(c.app(), &c.actor, c.id, &b.status, b.reason.as_deref()).await?;
    Ok(Json(UnitView::build(&unit, c.app())))
}

/// The units to send, best first: suitable ones, then by estimated time to attend. With no
/// position for the incident yet, the available units still come, suitable first then by
/// call sign, with `eta_seconds` and `distance_metres` null and the first reason saying why.
/// The look is recorded in the audit trail, naming the units shown.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/recommendations", tag = "dispatch",
    responses((status = 200, body = Vec<CandidateView>)))]
pub async fn recommendations(
    c: Caller,
    PathId(id): PathId<IncidentId>,
) -> Answer<Vec<CandidateView>> {
    let ranked = dispatch::recommend(c.app(), &c.actor, id).await?;
    Ok(Json(ranked.into_iter().map(CandidateView::from).collect()))
}

/// Send a unit to the incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/assign", tag = "dispatch", request_body = AssignInput,
    responses((status = 200, body = IncidentView)))]
pub async fn assign(c: Change<IncidentId, AssignInput>) -> Answer<Option<IncidentView>> {
    let incident = dispatch::assign(c.app(), &c.actor, c.id, UnitId(c.body.unit)).await?;
    Ok(Json(
        incident.map(|i| IncidentView::seen_by(c.app(), &c.actor, i)),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    /// The incident to move the unit to.
    pub incident: uuid::Uuid,
    /// Why (e.g. a more urgent call).
    #[schema(max_length = 500)]
    pub reason: String,
}

/// Move a committed unit to another incident: released from the first and assigned to the
/// second in one step, both logs saying why.
#[utoipa::path(post, path = "/api/v1/units/{id}/reassign", tag = "dispatch", request_body = ReassignInput,
    responses((status = 200, body = IncidentView)))]
pub async fn reassign(c: Change<UnitId, ReassignInput>) -> Answer<Option<IncidentView>> {
    let to = IncidentId(c.body.incident);
    let incident = dispatch::reassign(c.app(), &c.actor, c.id, to, &c.body.reason).await?;
    Ok(Json(
        incident.map(|i| IncidentView::seen_by(c.app(), &c.actor, i)),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// The result, in words (e.g. "Suspect arrested; victim taken to hospital").
    #[schema(max_length = 4000)]
    pub resolution: String,
}

/// Resolve the incident once its last unit has cleared, with the result. Refused, naming
/// them, while units are still committed to it.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/resolve", tag = "dispatch", request_body = ResolveInput,
    responses(super::Changed))]
pub async fn resolve(
    c: crate::extract::IncidentChange<ResolveInput>,
) -> Result<axum::response::Response, ApiError> {
    let outcome = dispatch::resolve(c.app(), &c.actor, c.id, &c.body.resolution, c.key()).await?;
    c.answer(StatusCode::OK, outcome)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningsParams {
    /// Comma-separated incident ids (at most 100): the incidents on the board.
    pub incidents: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarningView {
    /// weapons, violence, firearms_access, mental_health…
    pub kind: String,
    pub reason: String,
    pub source: String,
    pub review_by: String,
    /// The record the marker is on: its name, registration or address.
    pub on: String,
    pub record_kind: String,
    pub record_id: String,
    /// Why it concerns the incident: "found by the intelligence check", "linked as suspect".
    pub why: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentWarningsView {
    pub incident: String,
    pub reference: String,
    /// Standing markers only: withdrawn and expired ones are left out.
    pub warnings: Vec<WarningView>,
}

/// The warning markers that concern each incident, for the dispatch board: those standing on
/// what the incident's intelligence checks found, and on the people, vehicles and locations
/// linked to it. The look is recorded in the audit trail.
#[utoipa::path(get, path = "/api/v1/warnings", tag = "dispatch", params(WarningsParams),
    responses((status = 200, body = Vec<IncidentWarningsView>), (status = 404, body = crate::error::Problem)))]
pub async fn warnings(
    c: Caller,
    params: ApiQuery<WarningsParams>,
) -> Answer<Vec<IncidentWarningsView>> {
    let ApiQuery(p) = params;
    let ids = p
        .incidents
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|raw| {
            raw.parse().map(IncidentId).map_err(|_| {
                ApiError::invalid(
                    "incidents",
                    format!("incidents: '{raw}' is not an incident id (a UUID)"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let found = controlroom_app::intelligence::incident_warnings(c.app(), &c.actor, &ids).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|i| IncidentWarningsView {
                incident: i.incident.to_string(),
                reference: i.reference,
                warnings: i
                    .warnings
                    .into_iter()
                    .map(|w| WarningView {
                        kind: w.marker.kind.as_str().to_owned(),
                        reason: w.marker.reason,
                        source: w.marker.source,
                        review_by: w.marker.review_by.to_string(),
                        on: w.on,
                        record_kind: w.record.kind.as_str().to_owned(),
                        record_id: w.record.id.to_string(),
                        why: w.why,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
