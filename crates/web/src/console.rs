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
use controlroom_domain::roles::{Permission, Role, list_in_words};

const SIGN_IN: &str = include_str!("../console/signin.html");
const CONSOLE: &str = include_str!("../console/console.html");
const SUPERVISOR: &str = include_str!("../console/supervisor.html");
const FORBIDDEN: &str = include_str!("../console/forbidden.html");
const RECORD: &str = include_str!("../console/record.html");
const BOARD: &str = include_str!("../console/board.html");
const CRIMES: &str = include_str!("../console/crimes.html");
const ADMIN: &str = include_str!("../console/admin.html");

/// The console's own files, built into the binary (rust-embed; read from the build's copy in
/// every profile, so tests serve exactly what ships).
#[derive(rust_embed::Embed)]
#[folder = "console/"]
struct Files;

/// A static asset by name: (content type, bytes). Pages (`.html`) are never assets: each is
/// served by its own route, after the role check.
fn asset(name: &str) -> Option<(&'static str, std::borrow::Cow<'static, [u8]>)> {
    let content_type = match name.rsplit_once('.')?.1 {
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        _ => return None,
    };
    Files::get(name).map(|file| (content_type, file.data))
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
        .route("/tiles/{z}/{x}/{y}", get(tile))
        // Browsers ask for /favicon.ico whatever the page says: the same icon.
        .route(
            "/favicon.ico",
            get(|| async { assets(Path("favicon.svg".to_owned())).await }),
        )
}

/// A map tile from the tile file (`serve --map-tiles-file`), for a signed-in user: `y` may
/// carry an extension (`12.png`). 404 when there is no such tile or no tile file.
async fn tile(
    State(state): State<AppState>,
    Path((z, x, y)): Path<(String, String, String)>,
    parts: Parts,
) -> Response {
    let Some(token) = session_token(&parts) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if auth::authenticate(&state.app, &token).await.is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let missing = || (StatusCode::NOT_FOUND, "no such map tile").into_response();
    let Some(source) = state.app.settings.map.tiles_file.as_ref() else {
        return missing();
    };
    let y = y.split_once('.').map_or(y.as_str(), |(y, _)| y);
    let (Ok(z), Ok(x), Ok(y)) = (z.parse::<u8>(), x.parse::<u32>(), y.parse::<u32>()) else {
        return missing();
    };
    match source.tile(z, x, y).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, source.content_type().to_owned()),
                // Tiles change only when the file is replaced: a day in the browser's own cache.
                (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => missing(),
        Err(e) => {
            tracing::warn!(error = %e, "a map tile could not be read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the map tiles could not be read",
            )
                .into_response()
        }
    }
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
    let allowed = Role::allowed(Permission::DispatchUnits);
    page_for(&state, &parts, &allowed, "The dispatch board", BOARD).await
}

/// Crime recording: the recorders' queue, the decision screen and the integrity check.
async fn crimes(State(state): State<AppState>, parts: Parts) -> Response {
    let allowed = Role::allowed(Permission::ReviewCrimeRecording);
    page_for(&state, &parts, &allowed, "Crime recording", CRIMES).await
}

/// The administrator's accounts page.
async fn admin(State(state): State<AppState>, parts: Parts) -> Response {
    let allowed = Role::allowed(Permission::ManageUsers);
    page_for(&state, &parts, &allowed, "The accounts page", ADMIN).await
}

/// Supervisors' page: service overview and the audit-trail check.
async fn supervisor(State(state): State<AppState>, parts: Parts) -> Response {
    let allowed = [Role::Supervisor, Role::Auditor, Role::Admin];
    page_for(
        &state,
        &parts,
        &allowed,
        "The supervisor's page",
        SUPERVISOR,
    )
    .await
}

/// The page for a signed-in user holding one of `allowed` roles; otherwise a refusal that
/// says which roles may use it.
async fn page_for(
    state: &AppState,
    parts: &Parts,
    allowed: &[Role],
    page: &str,
    html: &'static str,
) -> Response {
    match signed_in(state, parts).await {
        Ok(actor) if actor.roles.iter().any(|r| allowed.contains(&r)) => Html(html).into_response(),
        Ok(actor) => (
            StatusCode::FORBIDDEN,
            Html(forbidden(&actor, allowed, page)),
        )
            .into_response(),
        Err(redirect) => redirect,
    }
}

/// The refusal page: which roles may use the page, and which the user holds.
fn forbidden(actor: &Actor, allowed: &[Role], page: &str) -> String {
    let plural = |role: Role| match role {
        Role::Admin => "administrators".to_owned(),
        other => format!("{}s", other.label()),
    };
    let allowed: Vec<String> = allowed.iter().map(|r| plural(*r)).collect();
    FORBIDDEN
        .replace("{{page}}", &escape(page))
        .replace(
            "{{allowed}}",
            &escape(&list_in_words(allowed.iter().map(String::as_str))),
        )
        .replace("{{username}}", &escape(actor.username.as_str()))
        .replace("{{roles}}", &escape(&actor.roles.label()))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

#[cfg(test)]
mod tests {
    use super::*;
    use controlroom_domain::roles::Roles;
    use controlroom_domain::user::Username;

    #[test]
    fn a_refused_page_says_who_may_use_it() {
        let actor = Actor::new(
            Username::parse("recorder").unwrap(),
            Roles::one(Role::CrimeRecorder),
        );
        let page = forbidden(
            &actor,
            &Role::allowed(Permission::DispatchUnits),
            "The dispatch board",
        );
        assert!(
            page.contains(
                "The dispatch board is for contact handlers, dispatchers and supervisors."
            ),
            "{page}"
        );
        assert!(
            page.contains("signed in as recorder (crime recorder)"),
            "{page}"
        );
        assert!(!page.contains("{{"), "{page}");
    }
}
