//! Keeping a running server in order: rebuilding its search index while it serves.

use super::Answer;
use crate::extract::Caller;
use axum::Json;
use axum::http::StatusCode;
use controlroom_app::search_feed::{self, RebuildStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// This server's search index rebuild: running, or how the last one ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildView {
    pub running: bool,
    /// The kind of record being read now (`incident`, `crime`, `person`, `vehicle`,
    /// `location`, `property`), while running.
    pub reading: Option<&'static str>,
    pub records_read: usize,
    pub documents: usize,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Why the last rebuild stopped short; the old index is still the one searched.
    pub failed: Option<String>,
}

impl From<RebuildStatus> for RebuildView {
    fn from(s: RebuildStatus) -> Self {
        Self {
            running: s.running,
            reading: s.reading,
            records_read: s.records_read,
            documents: s.documents,
            started_at: s.started_at.map(|t| t.to_string()),
            finished_at: s.finished_at.map(|t| t.to_string()),
            failed: s.failed,
        }
    }
}

/// Rebuild this server's search index from the database while it keeps serving
/// (administrators): searches read the old index until the new one is switched to at once.
/// 202: started; follow it with GET. While it runs the search lag `/readyz` reports grows
/// (past `--ready-max-lag` a balancer rests the server until it has caught up).
#[utoipa::path(post, path = "/api/v1/search-index/rebuild", tag = "ops",
    responses((status = 202, body = RebuildView), (status = 409, description = "a rebuild is running already", body = crate::error::Problem)))]
pub async fn start(c: Caller) -> Result<(StatusCode, Json<RebuildView>), crate::error::ApiError> {
    let started = search_feed::start_rebuild(c.app(), &c.actor)?;
    Ok((StatusCode::ACCEPTED, Json(started.into())))
}

/// How far this server's search index rebuild has got (administrators).
#[utoipa::path(get, path = "/api/v1/search-index/rebuild", tag = "ops",
    responses((status = 200, body = RebuildView)))]
pub async fn status(c: Caller) -> Answer<RebuildView> {
    Ok(Json(search_feed::rebuild_status(c.app(), &c.actor)?.into()))
}
