//! For the people and machines that run the service: liveness, readiness, metrics.

use super::Answer;
use crate::AppState;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: its database answers, within 800 ms (a balancer's probe gives up
/// after about a second, so a slow "no" must still come before that).
async fn readyz(State(state): State<AppState>) -> Answer<Value> {
    let backend = state.app.store.backend();
    let answered = tokio::time::timeout(
        std::time::Duration::from_millis(800),
        state.app.store.ping(),
    )
    .await;
    let problem = match answered {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("no answer within 800 ms".to_owned()),
    };
    if let Some(why) = problem {
        tracing::warn!(%why, "readiness check failed");
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            format!("the {backend} database is not answering"),
        );
        error.retry_after = Some(crate::error::RETRY_UNAVAILABLE_SECS);
        return Err(error);
    }
    // Behind the log: the consoles and searches this server answers would be out of date.
    let lag = controlroom_app::follow::lag(&state.app).await?;
    let allowed = state.app.settings.ready_max_lag;
    let behind = json!({ "head": lag.head, "live_feed": lag.live_feed, "search": lag.search });
    if lag.most() > allowed {
        tracing::warn!(?lag, allowed, "not ready: behind the audit log");
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "behind_the_log",
            format!(
                "this server is {} records behind the audit log (at most {allowed} allowed) and is catching up",
                lag.most()
            ),
        );
        error.retry_after = Some(crate::error::RETRY_UNAVAILABLE_SECS);
        return Err(error);
    }
    Ok(Json(
        json!({ "status": "ready", "database": backend, "behind": behind }),
    ))
}

/// Prometheus text exposition, with how far this server is behind the audit log (read now;
/// left out if the database cannot say).
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(lag) = controlroom_app::follow::lag(&state.app).await {
        crate::metrics::log_lag(&lag);
    }
    crate::metrics::writes(state.app.store.write_stats());
    if let Ok(index) = state.app.search() {
        metrics::counter!("controlroom_search_commits_total").absolute(index.commits());
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}
