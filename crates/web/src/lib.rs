//! The HTTP edge: a JSON API under `/api/v1`, its OpenAPI document, and `/healthz`,
//! `/readyz`, `/metrics`. Handlers parse requests into use-case calls and map answers back;
//! the rules live in `controlroom-app` and `controlroom-domain`.

pub mod access;
mod client;
mod console;
mod dto;
mod error;
mod extract;
mod metrics;
mod openapi;
mod routes;
mod security_headers;
pub mod server;

pub use console::call_card_weight;
pub use error::ApiError;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use controlroom_app::App;
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// The largest request body accepted. A call card is a few kilobytes; anything near this
/// limit is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = controlroom_domain::limits::BODY_BYTES;

/// How long any API request may take before the client is told to try again. The live feed
/// and the audit-trail check are exempt.
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(15);

async fn request_deadline(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    // The live feed stays open by design; verifying the whole audit trail reads every record
    // and on a large database takes longer than any ordinary request.
    let path = request.uri().path();
    if path.ends_with("/events") || path.ends_with("/audit/verify") {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut error = ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "too_slow",
                "the server could not answer in time; if this was a change, check whether it was saved before trying again",
            );
            error.retry_after = Some(error::RETRY_UNAVAILABLE_SECS);
            error.into_response()
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
}

/// The API under `/api/v1` (each handler's `#[utoipa::path]` gives its full path) and its
/// OpenAPI document.
fn api_router() -> Router<AppState> {
    let (api, _) = routes::api().split_for_parts();
    api.route(
        "/api/v1/openapi.json",
        axum::routing::get(openapi::document),
    )
}

pub fn router(app: App) -> Router {
    let tile_origin = app.settings.map.tile_origin();
    let state = AppState { app };
    let router = Router::new()
        .merge(routes::ops::router())
        .merge(console::router())
        .merge(
            security_headers::no_store(api_router())
                .layer(axum::middleware::from_fn(request_deadline)),
        )
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http());
    security_headers::apply(router, tile_origin.as_deref()).with_state(state)
}

/// Run `step` every second until aborted, warning `failed` (with the error) when it fails.
fn every_second<F, T, E>(
    app: &App,
    failed: &'static str,
    step: impl Fn(App) -> F + Send + 'static,
) -> tokio::task::JoinHandle<()>
where
    F: Future<Output = Result<T, E>> + Send,
    E: std::fmt::Display,
{
    let app = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = step(app.clone()).await {
                tracing::warn!(error = %e, "{failed}");
            }
        }
    })
}

/// Serve until `shutdown` completes, then finish the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    metrics::install();
    // The live feed and the unit registry follow the audit log: every server's changes reach
    // this server's consoles, this server's own by the same path.
    let following = tokio::spawn(controlroom_app::follow::run(app.clone()));
    // The search index follows the audit log too, committing what any server has recorded
    // since its mark; searches read what it has committed and never commit themselves.
    let flushing = tokio::spawn(controlroom_app::search_feed::run(app.clone()));
    // The address index follows the gazetteer's revisions the same way: an import run beside
    // the server is searchable within a second of each batch.
    let gazetteer = every_second(
        &app,
        "address index not caught up; will try again",
        |app| async move { controlroom_app::gazetteer::catch_up(&app).await },
    );
    // With each connection's peer address: sign-in throttling counts by client address.
    let served = axum::serve(
        listener,
        router(app.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    following.abort();
    flushing.abort();
    gazetteer.abort();
    app.flush_search();
    served
}
