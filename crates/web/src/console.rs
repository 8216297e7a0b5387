//! The browser console: a few static pages and their own small JavaScript and CSS, built
//! into the binary (no Node, no build step). Pages that need a session check it here, so a
//! user without the role never receives the page at all.

use crate::AppState;
use crate::extract::session_token;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use controlroom_app::{Actor, auth};
use controlroom_domain::roles::Role;

const SIGN_IN: &str = include_str!("../console/signin.html");
const CONSOLE: &str = include_str!("../console/console.html");
const SUPERVISOR: &str = include_str!("../console/supervisor.html");
const FORBIDDEN: &str = include_str!("../console/forbidden.html");
const RECORD: &str = include_str!("../console/record.html");
const BOARD: &str = include_str!("../console/board.html");
const CRIMES: &str = include_str!("../console/crimes.html");
const ADMIN: &str = include_str!("../console/admin.html");

/// Static assets by name: (content type, bytes).
fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "console.css" => (
            "text/css; charset=utf-8",
            include_str!("../console/console.css"),
        ),
        "console.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/console.js"),
        ),
        "common.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/common.js"),
        ),
        "signin.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/signin.js"),
        ),
        "supervisor.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/supervisor.js"),
        ),
        "board.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/board.js"),
        ),
        "crimes.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/crimes.js"),
        ),
        "admin.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/admin.js"),
        ),
        "favicon.svg" => ("image/svg+xml", include_str!("../console/favicon.svg")),
        "record.js" => (
            "text/javascript; charset=utf-8",
            include_str!("../console/record.js"),
        ),
        _ => return None,
    })
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/signin", get(|| async { Html(SIGN_IN) }))
        .route("/console", get(console))
        .route("/console/supervisor", get(supervisor))
        .route("/console/records/{kind}/{id}", get(record))
        .route("/console/board", get(board))
        .route("/console/crimes", get(crimes))
        .route("/console/admin", get(admin))
        .route("/assets/{name}", get(assets))
        // Browsers ask for /favicon.ico whatever the page says: the same icon.
        .route(
            "/favicon.ico",
            get(|| async { assets(Path("favicon.svg".to_owned())).await }),
        )
}

/// The signed-in user, or where to send them instead.
async fn signed_in(state: &AppState, parts: &Parts) -> Result<Actor, Response> {
    let Some(token) = session_token(parts) else {
        return Err(Redirect::to("/signin").into_response());
    };
    auth::authenticate(&state.app, &token)
        .await
        .map_err(|_| Redirect::to("/signin?expired=1").into_response())
}

async fn console(State(state): State<AppState>, parts: Parts) -> Response {
    match signed_in(&state, &parts).await {
        Ok(_) => Html(CONSOLE).into_response(),
        Err(redirect) => redirect,
    }
}

/// A person, vehicle or location page; the data comes from the API, which checks the role.
async fn record(State(state): State<AppState>, parts: Parts) -> Response {
    match signed_in(&state, &parts).await {
        Ok(_) => Html(RECORD).into_response(),
        Err(redirect) => redirect,
    }
}

/// The dispatchers' board; refused to roles that do not dispatch.
async fn board(State(state): State<AppState>, parts: Parts) -> Response {
    match signed_in(&state, &parts).await {
        Ok(actor)
            if actor
                .role
                .may(controlroom_domain::roles::Permission::DispatchUnits) =>
        {
            Html(BOARD).into_response()
        }
        Ok(_) => (StatusCode::FORBIDDEN, Html(FORBIDDEN)).into_response(),
        Err(redirect) => redirect,
    }
}

/// Crime recording: the recorders' queue, the decision screen and the integrity check.
async fn crimes(State(state): State<AppState>, parts: Parts) -> Response {
    match signed_in(&state, &parts).await {
        Ok(actor)
            if actor
                .role
                .may(controlroom_domain::roles::Permission::ReviewCrimeRecording) =>
        {
            Html(CRIMES).into_response()
        }
        Ok(_) => (StatusCode::FORBIDDEN, Html(FORBIDDEN)).into_response(),
        Err(redirect) => redirect,
    }
}

/// The administrator's accounts page.
async fn admin(State(state): State<AppState>, parts: Parts) -> Response {
    match signed_in(&state, &parts).await {
        Ok(actor)
            if actor
                .role
                .may(controlroom_domain::roles::Permission::ManageUsers) =>
        {
            Html(ADMIN).into_response()
        }
        Ok(_) => (StatusCode::FORBIDDEN, Html(FORBIDDEN)).into_response(),
        Err(redirect) => redirect,
    }
}

/// Supervisors' page: service overview and the audit-trail check.
async fn supervisor(State(state): State<AppState>, parts: Parts) -> Response {
    match signed_in(&state, &parts).await {
        Ok(actor) if matches!(actor.role, Role::Supervisor | Role::Auditor | Role::Admin) => {
            Html(SUPERVISOR).into_response()
        }
        Ok(_) => (StatusCode::FORBIDDEN, Html(FORBIDDEN)).into_response(),
        Err(redirect) => redirect,
    }
}

async fn assets(Path(name): Path<String>) -> Response {
    match asset(&name) {
        Some((content_type, body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
        None => crate::routes::not_found().await.into_response(),
    }
}

/// Bytes of the call-card page and everything it loads: the figure in docs/PERFORMANCE.md.
pub fn call_card_weight() -> usize {
    CONSOLE.len()
        + ["console.css", "common.js", "console.js"]
            .iter()
            .filter_map(|name| asset(name))
            .map(|(_, body)| body.len())
            .sum::<usize>()
}
