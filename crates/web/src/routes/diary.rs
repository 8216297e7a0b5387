//! The diary of appointments for scheduled responses.

use super::{Answer, Created};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Call, Caller, IncidentChange};
use axum::Json;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::diary;
use controlroom_app::incidents::IncidentOutcome;
use controlroom_domain::diary::{Slot, SlotKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotsInput {
    /// Beat, sector or station code.
    pub area: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// Start times, HH:MM.
    pub times: Vec<String>,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub capacity: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayParams {
    area: String,
    date: String,
    /// For `next`: no earlier than this time on the first day (HH:MM).
    after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    pub area: String,
    pub date: String,
    pub time: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndInput {
    #[schema(max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    pub incident: String,
    pub reference: String,
}

/// A crime scene investigator's attendance booked in the slot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SceneView {
    pub crime: String,
    /// The CSI request on the crime.
    pub request: String,
    /// The crime's reference.
    pub reference: String,
}

/// Which slot: the area, the day and the start time (the domain's `SlotKey`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotKeyView {
    pub area: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// HH:MM.
    pub time: String,
}

impl From<&SlotKey> for SlotKeyView {
    fn from(k: &SlotKey) -> Self {
        Self {
            area: k.area.to_string(),
            date: k.date.to_string(),
            time: k.time.strftime("%H:%M").to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    #[serde(flatten)]
    pub key: SlotKeyView,
    /// When the slot starts, RFC 3339 (the force's local date and time as a moment).
    pub starts_at: Option<String>,
    pub capacity: u32,
    pub free: u32,
    pub bookings: Vec<BookingView>,
    pub missed: Vec<BookingView>,
    /// CSI attendances (they take places as appointments do).
    pub scenes: Vec<SceneView>,
}

impl SlotView {
    fn of(s: &Slot, time_zone: &jiff::tz::TimeZone) -> Self {
        let view = |b: &controlroom_domain::diary::Booking| BookingView {
            incident: b.incident.to_string(),
            reference: b.reference.to_string(),
        };
        Self {
            key: SlotKeyView::from(&s.key),
            starts_at: s.key.starts_at(time_zone).map(|t| t.to_string()),
            capacity: s.capacity,
            free: s.free(),
            bookings: s.bookings.iter().map(view).collect(),
            missed: s.missed.iter().map(view).collect(),
            scenes: s
                .scenes
                .iter()
                .map(|b| SceneView {
                    crime: b.crime.to_string(),
                    request: b.request.to_string(),
                    reference: b.reference.clone(),
                })
                .collect(),
        }
    }
}

/// Open appointment slots (resource allocation desk).
#[utoipa::path(post, path = "/api/v1/diary/slots", tag = "diary", request_body = SlotsInput,
    responses((status = 201, body = Vec<SlotView>)))]
pub async fn open(c: Call<SlotsInput>) -> Created<Vec<SlotView>> {
    let (c, b) = c.split();
    let slots =
        diary::open_slots(c.app(), &c.actor, &b.area, &b.date, &b.times, b.capacity).await?;
    let tz = &c.app().settings.time_zone;
    super::created(slots.iter().map(|s| SlotView::of(s, tz)).collect())
}

/// The day's diary for an area: slots, bookings and free places.
#[utoipa::path(get, path = "/api/v1/diary", tag = "diary", params(DayParams), responses((status = 200, body = Vec<SlotView>)))]
pub async fn day(c: Caller, ApiQuery(p): ApiQuery<DayParams>) -> Answer<Vec<SlotView>> {
    let slots = diary::day(c.app(), &c.actor, &p.area, &p.date).await?;
    let tz = &c.app().settings.time_zone;
    Ok(Json(slots.iter().map(|s| SlotView::of(s, tz)).collect()))
}

/// The first slot with a free place from a day on (the same day first).
#[utoipa::path(get, path = "/api/v1/diary/next", tag = "diary", params(DayParams), responses((status = 200, body = Option<SlotView>)))]
pub async fn next(c: Caller, ApiQuery(p): ApiQuery<DayParams>) -> Answer<Option<SlotView>> {
    let after = p
        .after
        .as_deref()
        .map(|t| {
            t.trim().parse().map_err(|_| {
                ApiError::invalid("after", format!("after: '{t}' is not a time; use HH:MM"))
            })
        })
        .transpose()?;
    let slot = diary::next_free(c.app(), &c.actor, &p.area, &p.date, after).await?;
    let tz = &c.app().settings.time_zone;
    Ok(Json(slot.as_ref().map(|s| SlotView::of(s, tz))))
}

/// Book (or move) the incident's appointment. A full slot is refused.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/appointment", tag = "diary", request_body = BookInput,
    responses(super::Changed))]
pub async fn book(c: IncidentChange<BookInput>) -> Result<Response, ApiError> {
    let b = &c.body;
    let incident = diary::book(c.app(), &c.actor, c.id, &b.area, &b.date, &b.time).await?;
    Ok(changed(&c.state, &c.actor, incident))
}

/// Cancel the incident's appointment.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/appointment/cancel", tag = "diary", request_body = EndInput,
    responses(super::Changed))]
pub async fn cancel(c: IncidentChange<EndInput>) -> Result<Response, ApiError> {
    let incident = diary::end(c.app(), &c.actor, c.id, false, &c.body.reason).await?;
    Ok(changed(&c.state, &c.actor, incident))
}

/// Record that the appointment was missed.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/appointment/missed", tag = "diary", request_body = EndInput,
    responses(super::Changed))]
pub async fn missed(c: IncidentChange<EndInput>) -> Result<Response, ApiError> {
    let incident = diary::end(c.app(), &c.actor, c.id, true, &c.body.reason).await?;
    Ok(changed(&c.state, &c.actor, incident))
}

fn changed(
    state: &AppState,
    actor: &controlroom_app::Actor,
    incident: controlroom_domain::incident::Incident,
) -> Response {
    super::change(state, actor, StatusCode::OK, IncidentOutcome::of(incident))
}
