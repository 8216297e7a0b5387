//! Partner incidents (issue 17): send ours to a partner agency, take theirs as they are sent,
//! and read the messages that did not fit. See `controlroom_app::partners` and
//! docs/PARTNER-INCIDENTS.md for the shape.

use super::Answer;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller, Change, IncidentChange, PathId};
use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use controlroom_app::partners::{self, Kept};
use controlroom_domain::incident::IncidentId;
use controlroom_domain::partner::{MessageKind, PartnerRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A partner incident as we hold it: the latest message received (in the documented shape),
/// what we sent and to whom, the incident of ours it is linked to; or a flagged message with
/// its reasons and the raw text as received.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct PartnerView(serde_json::Value);

fn view(record: &PartnerRecord) -> PartnerView {
    PartnerView(serde_json::to_value(record).unwrap_or(serde_json::Value::Null))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    /// The partner: an agency code of the directory (`AMBULANCE`, `FIRE`, ...).
    pub to: String,
    /// `new` (the default), `update` or `close`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub kind: Option<MessageKind>,
}

/// Send the incident to a partner agency (written to the partner outbox; recorded).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/partners", tag = "partners",
    request_body = SendInput, responses((status = 200, body = PartnerView)))]
pub async fn send(c: IncidentChange<SendInput>) -> Result<Response, ApiError> {
    let done = partners::send(
        &c.state.app,
        &c.actor,
        c.id,
        &c.body.to,
        c.body.kind.unwrap_or(MessageKind::New),
        c.idempotency.as_ref(),
    )
    .await?;
    Ok(super::replayed(Json(view(&done.state)), done.replayed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnersView {
    pub partners: Vec<PartnerView>,
}

/// The partner incidents linked to this incident (ours sent, theirs received). Audited.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/partners", tag = "partners",
    responses((status = 200, body = PartnersView)))]
pub async fn of_incident(c: Caller, PathId(id): PathId<IncidentId>) -> Answer<PartnersView> {
    let linked = partners::of_incident(c.app(), &c.actor, id).await?;
    Ok(Json(PartnersView {
        partners: linked.iter().map(view).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeptView {
    /// `read` (in our shape, kept on its incident) or `flagged` (kept as received for a
    /// person to read).
    pub kept: &'static str,
    pub tracking_id: Option<String>,
    /// Our incident it is linked to, when it names one of ours.
    pub linked_to: Option<String>,
    /// A flagged message's id (`/partner-messages/flagged/{id}`).
    pub flagged: Option<String>,
    /// Every reason a flagged message does not fit: `{path, message}`.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<serde_json::Value>,
}

/// A partner's message, exactly as sent (any body: one that does not fit is kept and
/// flagged, never refused). Answered 202.
#[utoipa::path(post, path = "/api/v1/partner-messages", tag = "partners",
    request_body(content = serde_json::Value, description = "the partner's message, as sent: any body is kept (one that does not fit our shape is flagged)", content_type = "application/json"),
    responses((status = 202, body = KeptView)))]
pub async fn receive(c: Caller, body: Bytes) -> Result<Response, ApiError> {
    // An empty request carries no message: nothing to keep, so it is refused.
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the request has no body: send the partner's message as it was received",
        ));
    }
    // Kept as text: bytes that are not UTF-8 are shown with replacement marks.
    let raw = String::from_utf8_lossy(&body);
    let kept = partners::receive(c.app(), &c.actor, &raw).await?;
    let answer = match kept {
        Kept::Read {
            tracking_id,
            linked_to,
        } => KeptView {
            kept: "read",
            tracking_id: Some(tracking_id),
            linked_to: linked_to.map(|i| i.to_string()),
            flagged: None,
            reasons: Vec::new(),
        },
        Kept::Flagged { key, reasons } => KeptView {
            kept: "flagged",
            tracking_id: None,
            linked_to: None,
            flagged: Some(key.trim_start_matches("flagged/").to_owned()),
            reasons: reasons
                .iter()
                .map(|r| serde_json::to_value(r).unwrap_or_default())
                .collect(),
        },
    };
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// Partner messages kept as received that no one has dealt with yet. Audited.
#[utoipa::path(get, path = "/api/v1/partner-messages/flagged", tag = "partners",
    responses((status = 200, body = PartnersView)))]
pub async fn flagged(c: Caller) -> Answer<PartnersView> {
    let waiting = partners::flagged(c.app(), &c.actor).await?;
    Ok(Json(PartnersView {
        partners: waiting.iter().map(view).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// What was done about it ("phoned the ambulance service; they resent it").
    pub note: String,
}

/// Say a flagged message has been read and dealt with.
#[utoipa::path(post, path = "/api/v1/partner-messages/flagged/{id}/resolve", tag = "partners",
    request_body = ResolveInput, responses((status = 200, body = PartnerView)))]
pub async fn resolve(c: Change<ApiPath<String>, ResolveInput>) -> Result<Response, ApiError> {
    let done = partners::resolve_flag(
        &c.state.app,
        &c.actor,
        &c.id.0,
        &c.body.note,
        c.idempotency.as_ref(),
    )
    .await?;
    Ok(super::replayed(Json(view(&done.state)), done.replayed))
}
