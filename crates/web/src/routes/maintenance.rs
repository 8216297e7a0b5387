//! Keeping a running server in order: rebuilding its search index while it serves.

use super::Answer;
use crate::extract::Caller;
use axum::Json;
use axum::http::StatusCode;
use controlroom_app::search_feed::{self, RebuildStatus};

/// Rebuild this server's search index from the database while it keeps serving
/// (administrators; recorded in the audit trail): searches read the old index until the new
/// one is switched to at once.
/// 202: started; follow it with GET. While it runs the search lag `/readyz` reports grows
/// (past `--ready-max-lag` a balancer rests the server until it has caught up).
#[utoipa::path(post, path = "/api/v1/search-index/rebuild", tag = "ops",
    responses((status = 202, body = RebuildStatus), (status = 409, description = "a rebuild is running already", body = crate::error::Problem)))]
pub async fn start(c: Caller) -> Result<(StatusCode, Json<RebuildStatus>), crate::error::ApiError> {
    let started = search_feed::start_rebuild(c.app(), &c.actor).await?;
    Ok((StatusCode::ACCEPTED, Json(started)))
}

/// How far this server's search index rebuild has got (administrators).
#[utoipa::path(get, path = "/api/v1/search-index/rebuild", tag = "ops",
    responses((status = 200, body = RebuildStatus)))]
pub async fn status(c: Caller) -> Answer<RebuildStatus> {
    Ok(Json(search_feed::rebuild_status(c.app(), &c.actor)?))
}
