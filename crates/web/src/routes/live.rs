//! `GET /api/v1/events`: Server-Sent Events carrying every committed incident change, for
//! the consoles' live lists. The stream ends when the session does.

use crate::AppState;
use crate::dto::IncidentSummary;
use crate::error::ApiError;
use crate::extract::{Caller, session_token};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use controlroom_app::live::{Changed, LiveChange};
use controlroom_app::{follow, incidents};
use futures_util::Stream;
use serde::Serialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;
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

/// One Server-Sent Event as it arrives: its name, its id (the audit seq of the change, for
/// `incident` and `unit`), and its data (JSON text).
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveEventFrame {
    /// `incident`, `unit`, `resync` or `signed_out`.
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: String,
}

/// How often a live feed checks that its session is still live.
const SESSION_CHECK: Duration = Duration::from_secs(5);

/// Live changes as Server-Sent Events: `incident` (a changed incident), `unit` (a unit's
/// status or position), `resync` (this console fell too far behind: reload the lists),
/// `signed_out` (the session ended). Each change's event id is its audit seq: a console that
/// reconnects with `Last-Event-ID` (browsers do this by themselves) is first sent, as they
/// are now, the incidents and units changed since, so a dropped connection or a server that
/// went away loses it nothing.
#[utoipa::path(get, path = "/api/v1/events", tag = "incidents",
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last event this console received (a whole number): the changes since are sent first", nullable = false, pattern = "^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "A stream of Server-Sent Events; each `incident` event's data is a LiveIncident, each `unit` event's a UnitView", content_type = "text/event-stream", body = LiveEventFrame),
        (status = 400, description = "Last-Event-ID is not an event id", body = crate::error::Problem)))]
pub async fn events(
    Caller { state, actor }: Caller,
    parts: Parts,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last_seen = last_event_id(&parts)?;
    // Listen first, then read what was missed: a change committed in between is in one or
    // both, and the duplicates are dropped by seq below.
    let receiver = incidents::watch(&state.app, &actor).await?;
    let upto = follow::position(&state.app);
    let mut first: VecDeque<Event> = VecDeque::new();
    if let Some(seen) = last_seen.filter(|seen| *seen < upto) {
        match follow::missed(&state.app, seen, upto).await? {
            Some(missed) => first.extend(missed.into_iter().map(|c| change_event(c, &state))),
            None => first.push_back(Event::default().event("resync").data("{}")),
        }
    }
    let token = session_token(&parts).unwrap_or_default();
    let mut check = tokio::time::interval(SESSION_CHECK);
    check.reset();
    // Signing out on this server closes the feed at once: no personal data after it.
    let mine = controlroom_app::auth::token_hash(&token);
    let feed = Feed {
        first,
        sent_upto: upto.max(last_seen.unwrap_or(0)),
        receiver,
        check,
        ends: state.app.live.subscribe_session_ends(),
        state,
        token: (token, mine),
    };
    let stream = futures_util::stream::unfold(Some(feed), |feed| async move {
        let mut feed = feed?;
        if let Some(event) = feed.first.pop_front() {
            return Some((Ok(event), Some(feed)));
        }
        loop {
            tokio::select! {
                biased;
                ended = feed.ends.recv() => {
                    match ended {
                        Ok(hash) if hash == feed.token.1 => {
                            return Some((Ok(Event::default().event("signed_out").data("{}")), None));
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
                change = feed.receiver.recv() => {
                    let event = match change {
                        // Already sent as missed, or older than where this console was.
                        Ok(change) if change.seq <= feed.sent_upto => continue,
                        Ok(change) => change_event(change, &feed.state),
                        Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                        Err(RecvError::Closed) => return None,
                    };
                    return Some((Ok(event), Some(feed)));
                }
                _ = feed.check.tick() => {
                    if controlroom_app::auth::check(&feed.state.app, &feed.token.0).await.is_err() {
                        return Some((Ok(Event::default().event("signed_out").data("{}")), None));
                    }
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One console's feed between events.
struct Feed {
    /// What was missed while it was away, sent before anything new.
    first: VecDeque<Event>,
    /// Changes at or before this seq were sent already (or were seen before reconnecting).
    sent_upto: i64,
    receiver: broadcast::Receiver<LiveChange>,
    check: tokio::time::Interval,
    ends: broadcast::Receiver<String>,
    state: AppState,
    /// The session token and its hash.
    token: (String, String),
}

/// `Last-Event-ID`, if the console sent one: the seq of the last change it received.
fn last_event_id(parts: &Parts) -> Result<Option<i64>, ApiError> {
    let Some(value) = parts.headers.get("last-event-id") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|seq| *seq >= 0)
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_last_event_id",
                "Last-Event-ID must be the id of an event this feed sent (a whole number)",
            )
        })
}

/// A task set or moved on, as the live feed tells it (`event: task`).
#[derive(Debug, serde::Serialize)]
struct LiveTask {
    /// `incident/<uuid>/<uuid>`.
    task: String,
    incident: Option<String>,
    team: String,
    officer: Option<String>,
    status: &'static str,
    priority: &'static str,
    due: String,
}

/// A message sent or read, as the live feed tells it (`event: message`).
#[derive(Debug, serde::Serialize)]
struct LiveMessage {
    message: String,
    /// `person/<username>` or `team/<code>`.
    to: String,
    from: String,
    sent_at: String,
    read_by: Vec<String>,
}

fn change_event(change: LiveChange, state: &AppState) -> Event {
    let (name, data) = match change.changed {
        Changed::Incident(row) => {
            let body = LiveIncident {
                incident: IncidentSummary::from(row),
                committed_at: change.committed_at.to_string(),
            };
            ("incident", serde_json::to_string(&body))
        }
        Changed::Unit(unit) => {
            let view = super::dispatch::UnitView::build(&unit, &state.app);
            ("unit", serde_json::to_string(&view))
        }
        // Who and when, not what: a console reloads its task board (an audited read) for
        // the details.
        Changed::Task(task) => {
            let body = LiveTask {
                task: task.id.to_string(),
                incident: task.id.belongs_to.incident().map(|i| i.to_string()),
                team: task.to.team.to_string(),
                officer: task.to.officer.as_ref().map(ToString::to_string),
                status: task.status.as_str(),
                priority: task.priority.as_str(),
                due: task.due.to_string(),
            };
            ("task", serde_json::to_string(&body))
        }
        // To whom and from whom, not the text: the recipient's console reads its inbox.
        Changed::Message(message) => {
            let body = LiveMessage {
                message: message.id.id.to_string(),
                to: message.id.to.key(),
                from: message.from.to_string(),
                sent_at: message.sent_at.to_string(),
                read_by: message.reads.iter().map(|r| r.by.to_string()).collect(),
            };
            ("message", serde_json::to_string(&body))
        }
    };
    Event::default()
        .event(name)
        .id(change.seq.to_string())
        .data(data.unwrap_or_else(|_| "{}".to_owned()))
}
