//! `GET /api/v1/events`: Server-Sent Events carrying every committed incident change, for
//! the consoles' live lists. The stream ends when the session does.

use crate::dto::IncidentSummary;
use crate::error::ApiError;
use crate::extract::{Caller, session_token};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use controlroom_app::incidents;
use controlroom_app::live::LiveChange;
use futures_util::Stream;
use serde::Serialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

/// One `incident` event: the incident's row as listed, and when the change was committed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveIncident {
    #[serde(flatten)]
    pub incident: IncidentSummary,
    /// When the change was committed (RFC 3339), for measuring how fast consoles see it.
    pub committed_at: String,
}

/// How often a live feed checks that its session is still live.
const SESSION_CHECK: Duration = Duration::from_secs(5);

/// Live changes as Server-Sent Events: `incident` (a changed incident), `unit` (a unit's
/// status or position), `resync`
/// (this console fell behind: reload the list), `signed_out` (the session ended).
#[utoipa::path(get, path = "/api/v1/events", tag = "incidents",
    responses((status = 200, description = "A stream of Server-Sent Events; each `incident` event's data is a LiveIncident", content_type = "text/event-stream", body = String)))]
pub async fn events(
    Caller { state, actor }: Caller,
    parts: Parts,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let receiver = incidents::watch(&state.app, &actor).await?;
    let units = state.app.live.subscribe_units();
    let token = session_token(&parts).unwrap_or_default();
    let mut check = tokio::time::interval(SESSION_CHECK);
    check.reset();
    // Signing out on this server closes the feed at once: no personal data after it.
    let mine = controlroom_app::auth::token_hash(&token);
    let ends = state.app.live.subscribe_session_ends();
    let (state, token) = (state, (token, mine));
    let stream = futures_util::stream::unfold(
        Some((receiver, units, check, ends, state, token)),
        |feed| async move {
            let (mut receiver, mut units, mut check, mut ends, state, token) = feed?;
            loop {
                tokio::select! {
                    biased;
                    ended = ends.recv() => {
                        match ended {
                            Ok(hash) if hash == token.1 => {
                                return Some((Ok(Event::default().event("signed_out").data("{}")), None));
                            }
                            Ok(_) | Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => return None,
                        }
                    }
                    change = receiver.recv() => {
                        let event = match change {
                            Ok(change) => incident_event(change),
                            Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                            Err(RecvError::Closed) => return None,
                        };
                        return Some((Ok(event), Some((receiver, units, check, ends, state, token))));
                    }
                    unit = units.recv() => {
                        let event = match unit {
                            Ok(unit) => {
                                let view = super::dispatch::UnitView::build(&unit, &state.app);
                                Event::default().event("unit").data(serde_json::to_string(&view).unwrap_or_else(|_| "{}".to_owned()))
                            }
                            Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                            Err(RecvError::Closed) => return None,
                        };
                        return Some((Ok(event), Some((receiver, units, check, ends, state, token))));
                    }
                    _ = check.tick() => {
                        if controlroom_app::auth::check(&state.app, &token.0).await.is_err() {
                            return Some((Ok(Event::default().event("signed_out").data("{}")), None));
                        }
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn incident_event(change: LiveChange) -> Event {
    let body = LiveIncident {
        incident: IncidentSummary::from(change.row),
        committed_at: change.committed_at.to_string(),
    };
    let data = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
    Event::default().event("incident").data(data)
}
