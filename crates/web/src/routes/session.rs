use crate::AppState;
use crate::dto::{SessionView, SignInRequest, permission_names, role_labels, role_names};
use crate::error::ApiError;
use crate::extract::{Caller, Command, SESSION_COOKIE, session_token};
use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use controlroom_app::auth;

/// Sign in with a username and password; returns a bearer token and sets the console's
/// session cookie (HttpOnly, SameSite=Strict, and Secure when served over HTTPS). Wrong
/// passwords are throttled by username and by client address (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignInRequest,
    responses((status = 200, body = SessionView)))]
pub async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    command: Command<SignInRequest>,
) -> Result<Response, ApiError> {
    let settings = &state.app.settings;
    let address = crate::client::address(&parts, &settings.trusted_proxies);
    let signed_in = auth::sign_in(
        &state.app,
        &command.body.username,
        &command.body.password,
        &address,
    )
    .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/{}",
        signed_in.token,
        secure(&state, &parts)
    );
    let view = SessionView {
        username: signed_in.actor.username.to_string(),
        role: signed_in.actor.roles.first().as_str().to_owned(),
        roles: role_names(&signed_in.actor.roles),
        role_names: role_labels(&signed_in.actor.roles),
        permissions: permission_names(&signed_in.actor.roles),
        idle_timeout_seconds: state.app.settings.session_idle_timeout.as_secs(),
        csrf_token: auth::csrf_token(&signed_in.token),
        token: Some(signed_in.token),
    };
    let mut response = Json(view).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Who am I signed in as?
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionView)))]
pub async fn current(c: Caller, parts: Parts) -> Json<SessionView> {
    Json(SessionView {
        token: None,
        csrf_token: session_token(&parts)
            .map(|t| auth::csrf_token(&t))
            .unwrap_or_default(),
        username: c.actor.username.to_string(),
        role: c.actor.roles.first().as_str().to_owned(),
        roles: role_names(&c.actor.roles),
        role_names: role_labels(&c.actor.roles),
        permissions: permission_names(&c.actor.roles),
        idle_timeout_seconds: c.state.app.settings.session_idle_timeout.as_secs(),
    })
}

/// Sign out: the token stops working at once. Signing out without a session (or twice) is
/// not an error: the answer is the same 204.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "Signed out")),
    security((), ("bearer" = [])))]
pub async fn sign_out(State(state): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    if let Some(credential) = crate::extract::credential(&parts) {
        // Signing out by cookie is a change like any other: another site must not be able
        // to end a handler's session mid-call.
        crate::extract::check_csrf(&parts, &credential)?;
        auth::sign_out(&state.app, credential.token()).await?;
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    let cookie = format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        secure(&state, &parts)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// `; Secure` when the client reached us over HTTPS (`--public-url https://…`, or a trusted
/// proxy's `X-Forwarded-Proto: https`), so the browser never sends the cookie in clear.
fn secure(state: &AppState, parts: &Parts) -> &'static str {
    let settings = &state.app.settings;
    if crate::client::https(
        parts,
        &settings.trusted_proxies,
        settings.public_url.as_deref(),
    ) {
        "; Secure"
    } else {
        ""
    }
}
