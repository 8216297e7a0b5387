//! Request extractors that turn HTTP into use-case input, with every rejection mapped to a
//! problem+json answer a person can act on.

use crate::AppState;
use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use controlroom_app::{Actor, Idempotency, auth};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;

pub const SESSION_COOKIE: &str = "controlroom_session";

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer`: an API client, immune to cross-site request forgery.
    Bearer(String),
    /// The console's session cookie: changes must also carry the CSRF token.
    Cookie(String),
}

impl Credential {
    pub fn token(&self) -> &str {
        match self {
            Credential::Bearer(t) | Credential::Cookie(t) => t,
        }
    }
}

/// The bearer token or session cookie a request carries, if any.
pub fn credential(parts: &Parts) -> Option<Credential> {
    if let Some(value) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some(Credential::Bearer(token.trim().to_owned()));
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| Credential::Cookie(value.to_owned()))
}

/// A change sent with the session cookie must carry the session's CSRF token: another site
/// can make a browser send the cookie, never the token.
pub fn check_csrf(parts: &Parts, credential: &Credential) -> Result<(), ApiError> {
    if let Credential::Cookie(token) = credential
        && !parts.method.is_safe()
    {
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        if sent != Some(auth::csrf_token(token).as_str()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_token_missing",
                "this change did not come from an up-to-date Control Room page: reload the page and try again",
            ));
        }
    }
    Ok(())
}

pub fn session_token(parts: &Parts) -> Option<String> {
    credential(parts).map(|c| c.token().to_owned())
}

/// Who asks, signed in and allowed, with the application: what every handler needs first. A
/// change sent with the session cookie must carry the session's CSRF token in
/// `X-CSRF-Token`.
pub struct Caller {
    pub state: AppState,
    pub actor: Actor,
}

impl Caller {
    pub fn app(&self) -> &controlroom_app::App {
        &self.state.app
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = credential(parts).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in first: send the token from POST /api/v1/session as 'Authorization: Bearer <token>'",
            )
        })?;
        check_csrf(parts, &credential)?;
        let actor = auth::authenticate(&state.app, credential.token()).await?;
        // The edge holds every operation to the access table before reading its path or
        // body, so a role without the permission is refused the same way everywhere.
        if let Some(route) = parts.extensions.get::<axum::extract::MatchedPath>() {
            match crate::access::of(parts.method.as_str(), route.as_str()) {
                Some(crate::access::Access::Needs(permission, what)) => {
                    actor.require(permission, what)?;
                }
                Some(_) => {}
                None => {
                    // An operation nobody decided on is refused, and the access test fails.
                    tracing::error!(route = route.as_str(), method = %parts.method, "operation missing from the access table");
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        "this operation has no access decision yet; nobody may use it",
                    ));
                }
            }
        }
        Ok(Self {
            state: state.clone(),
            actor,
        })
    }
}

/// A JSON command body, with the request's `Idempotency-Key` if it has one.
pub struct Command<T> {
    pub body: T,
    pub idempotency: Option<Idempotency>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Command<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request body as JSON with 'Content-Type: application/json'",
            ));
        }
        let key = req
            .headers()
            .get("idempotency-key")
            .map(|v| v.to_str().map(str::to_owned));
        let what = format!("{} {}", req.method(), req.uri().path());
        let bytes = read_body(req.into_body()).await?;
        // Every string and list in the body is bounded before it is parsed into a command,
        // whatever its field; the commands' parsers then apply each field's own limit.
        let well_formed = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(value) => {
                within_limits("", &value)
                    .map_err(|e| ApiError::invalid(&e.field, e.to_string()))?;
                true
            }
            Err(_) => false,
        };
        let body = serde_json::from_slice(&bytes).map_err(|e| {
            // Well-formed JSON that does not fit the command is the caller's data, whatever
            // serde calls it (an enum read from `{}` is reported as a syntax error).
            if e.is_data() || well_formed {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    format!("the request does not fit: {e}"),
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the request body is not valid JSON: {e}"),
                )
            }
        })?;
        let idempotency = match key {
            None => None,
            Some(Err(_)) => {
                return Err(ApiError::invalid(
                    "Idempotency-Key",
                    "must be visible ASCII characters",
                ));
            }
            Some(Ok(key)) => {
                let mut digest = Sha256::new();
                digest.update(what.as_bytes());
                digest.update([0]);
                digest.update(&bytes);
                Some(
                    Idempotency::new(&key, hex::encode(digest.finalize()))
                        .map_err(|e| ApiError::invalid(&e.field, e.to_string()))?,
                )
            }
        };
        Ok(Self { body, idempotency })
    }
}

/// A change as its handler receives it: who asks (signed in, allowed), which record (read
/// from the path; `()` for a change addressed to a collection) and the command, read in that
/// order as separate extractors would be.
pub struct Change<I, T> {
    pub state: AppState,
    pub actor: Actor,
    pub id: I,
    pub body: T,
    pub idempotency: Option<Idempotency>,
}

/// A change to an incident; [`IncidentChange::answer`] gives its answer.
pub type IncidentChange<T> = Change<controlroom_domain::incident::IncidentId, T>;

/// A command addressed to no one record (`POST /api/v1/units`).
pub type Call<T> = Change<(), T>;

/// What a change is addressed to, read from the request's path.
pub trait Target: Sized + Send {
    fn read(
        parts: &mut Parts,
        state: &AppState,
    ) -> impl Future<Output = Result<Self, ApiError>> + Send;
}

impl Target for () {
    async fn read(_: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(())
    }
}

impl<T: FromPathId + Send> Target for T {
    async fn read(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        PathId::from_request_parts(parts, state)
            .await
            .map(|PathId(id)| id)
    }
}

impl<I: Target, T: DeserializeOwned> FromRequest<AppState> for Change<I, T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Caller { state, actor } = Caller::from_request_parts(&mut parts, state).await?;
        let id = I::read(&mut parts, &state).await?;
        let command = Command::from_request(Request::from_parts(parts, body), &state).await?;
        Ok(Self {
            state,
            actor,
            id,
            body: command.body,
            idempotency: command.idempotency,
        })
    }
}

impl<I, T> Change<I, T> {
    /// The command's body apart, for a handler that takes it to pieces.
    pub fn split(self) -> (Change<I, ()>, T) {
        let Self {
            state,
            actor,
            id,
            body,
            idempotency,
        } = self;
        let rest = Change {
            state,
            actor,
            id,
            body: (),
            idempotency,
        };
        (rest, body)
    }

    pub fn app(&self) -> &controlroom_app::App {
        &self.state.app
    }

    pub fn key(&self) -> Option<&Idempotency> {
        self.idempotency.as_ref()
    }
}

impl<T> IncidentChange<T> {
    /// What the incident use cases take: who asks, which incident, and the retry key.
    pub fn request(&self) -> controlroom_app::incidents::IncidentRequest<'_> {
        controlroom_app::incidents::IncidentRequest {
            app: self.app(),
            actor: &self.actor,
            id: self.id,
            idempotency: self.key(),
        }
    }

    /// The incident as changed, with `status`.
    pub fn answer(
        &self,
        status: StatusCode,
        outcome: controlroom_app::incidents::IncidentOutcome,
    ) -> Result<axum::response::Response, ApiError> {
        Ok(crate::routes::change(
            &self.state,
            &self.actor,
            status,
            outcome,
        ))
    }
}

/// The backstop under every field's own limit ([`controlroom_domain::limits`]): no string
/// longer than `ANY_TEXT` characters and no list longer than `ANY_LIST` items, anywhere in a
/// request body. The refusal names the field by its path (`caller.name`, `names[2]`).
pub fn within_limits(
    path: &str,
    value: &serde_json::Value,
) -> Result<(), controlroom_domain::Invalid> {
    use controlroom_domain::limits::{self, check_items, check_length};
    let field = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        serde_json::Value::String(s) => check_length(&field(path), s, limits::ANY_TEXT),
        serde_json::Value::Array(items) => {
            check_items(&field(path), items.len(), limits::ANY_LIST)?;
            for (i, item) in items.iter().enumerate() {
                within_limits(&format!("{path}[{i}]"), item)?;
            }
            Ok(())
        }
        serde_json::Value::Object(fields) => {
            check_items(&field(path), fields.len(), limits::ANY_LIST)?;
            for (name, item) in fields {
                // A name is echoed in refusals and stored as a key: bounded like a code.
                if name.chars().count() > limits::CODE {
                    return Err(limits::too_long(
                        &format!("{}.(field name)", field(path)),
                        limits::CODE,
                        name.chars().count(),
                    ));
                }
                let inner = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                within_limits(&inner, item)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// How much of an oversized body we read and throw away before answering 413. Answering
/// while the client is still sending makes many clients report a broken connection instead
/// of our answer (the same reason web servers linger before closing); past this, we cut.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(5);

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!(
            "the request body is larger than {} KiB; nothing was saved",
            crate::MAX_BODY_BYTES / 1024
        ),
    )
}

/// Read at most [`crate::MAX_BODY_BYTES`]; refuse anything larger with 413.
async fn read_body(mut body: Body) -> Result<Bytes, ApiError> {
    let unreadable = |e: axum::Error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            format!("the request body could not be read: {e}"),
        )
    };
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(unreadable)?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > crate::MAX_BODY_BYTES {
                let _ = tokio::time::timeout(DRAIN_TIME, async {
                    while seen <= DRAIN_LIMIT {
                        match body.frame().await {
                            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, Bytes::len),
                            _ => break,
                        }
                    }
                })
                .await;
                return Err(too_large());
            }
            kept.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(kept))
}

/// The query string, deserialised into `T`; a query that does not fit answers 422
/// problem+json naming the parameter (axum's own rejection is plain text).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let given = parts.uri.query().map_or(0, str::len);
        if given > controlroom_domain::limits::QUERY_BYTES {
            return Err(ApiError::invalid(
                "query",
                format!(
                    "query: at most {} bytes ({} given)",
                    controlroom_domain::limits::grouped(controlroom_domain::limits::QUERY_BYTES),
                    controlroom_domain::limits::grouped(given)
                ),
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| query_problem(&rejection.body_text()))
    }
}

/// The path's parameters, deserialised into `T`; a path that does not fit answers 400
/// problem+json (axum's own rejection is plain text).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_path",
                    format!(
                        "the address is not one this API understands: {}",
                        rejection.body_text()
                    ),
                )
            })
    }
}

/// A 422 for a query string that does not fit, naming the parameter when the message does
/// (serde writes it between backquotes, e.g. "missing field `area`").
fn query_problem(text: &str) -> ApiError {
    let reason = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(text);
    let field = reason
        .split('`')
        .nth(1)
        .filter(|f| !f.is_empty() && reason.contains("field"));
    match field {
        Some(field) => {
            let detail = if reason.starts_with("missing field") {
                format!("the query parameter '{field}' is required")
            } else {
                format!("the query parameter '{field}' does not fit: {reason}")
            };
            ApiError::invalid(field, detail)
        }
        None => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("the query string does not fit: {reason}"),
        ),
    }
}

/// A path's `{id}` read as what the route works on, refused in one place with the same
/// answer everywhere, so a handler receives an `IncidentId`, never a string to check.
pub struct PathId<T>(pub T);

/// How an id is read from a path segment, and what is answered when it cannot be.
pub trait FromPathId: Sized {
    fn from_path(raw: &str) -> Result<Self, ApiError>;
}

impl<T: FromPathId, S: Send + Sync> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiPath(raw) = ApiPath::<String>::from_request_parts(parts, state).await?;
        T::from_path(&raw).map(Self)
    }
}

fn not_a_uuid(code: &'static str, what: &str, raw: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        code,
        format!("'{raw}' is not {what} (a UUID)"),
    )
}

impl FromPathId for controlroom_domain::incident::IncidentId {
    fn from_path(raw: &str) -> Result<Self, ApiError> {
        raw.parse()
            .map(Self)
            .map_err(|_| not_a_uuid("bad_incident_id", "an incident id", raw))
    }
}

impl FromPathId for controlroom_domain::resources::UnitId {
    fn from_path(raw: &str) -> Result<Self, ApiError> {
        raw.parse()
            .map(Self)
            .map_err(|_| not_a_uuid("bad_unit_id", "a unit id", raw))
    }
}

/// A crime record's id in a path.
pub struct CrimeId(pub uuid::Uuid);

impl FromPathId for CrimeId {
    fn from_path(raw: &str) -> Result<Self, ApiError> {
        raw.parse()
            .map(Self)
            .map_err(|_| ApiError::invalid("id", format!("'{raw}' is not a crime record id")))
    }
}

/// A person record's id in a path (`/people/{id}/merge`).
pub struct PersonId(pub uuid::Uuid);

impl FromPathId for PersonId {
    fn from_path(raw: &str) -> Result<Self, ApiError> {
        raw.parse()
            .map(Self)
            .map_err(|_| not_a_uuid("bad_id", "a record id", raw))
    }
}

/// Something kept under an incident, by the caller's own id: `/incidents/{id}/referrals/{item}`
/// or `/incidents/{id}/tasks/{item}`.
pub struct IncidentItem(pub controlroom_domain::incident::IncidentId, pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IncidentItem {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiPath((incident, item)) =
            ApiPath::<(String, String)>::from_request_parts(parts, state).await?;
        let incident = controlroom_domain::incident::IncidentId::from_path(&incident)?;
        let item = item.parse().map_err(|_| {
            not_a_uuid(
                "bad_id",
                "an id (the client chooses one UUID per referral or task)",
                &item,
            )
        })?;
        Ok(Self(incident, item))
    }
}

impl Target for IncidentItem {
    async fn read(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::from_request_parts(parts, state).await
    }
}

/// A POLE record's `{kind}/{id}` in a path (`/records/person/{id}`): an unknown kind is a page
/// that does not exist (404); a malformed id is a bad address (400).
pub struct RecordPath(pub controlroom_domain::pole::RecordRef);

fn record_ref(kind: &str, id: &str) -> Result<controlroom_domain::pole::RecordRef, ApiError> {
    let kind = controlroom_domain::pole::Kind::parse(kind)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_found", e.message))?;
    let id = id
        .parse()
        .map_err(|_| not_a_uuid("bad_id", "a record id", id))?;
    Ok(controlroom_domain::pole::RecordRef { kind, id })
}

impl<T: DeserializeOwned + Send> Target for ApiPath<T> {
    async fn read(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::from_request_parts(parts, state).await
    }
}

impl Target for RecordPath {
    async fn read(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::from_request_parts(parts, state).await
    }
}

impl Target for MarkerPath {
    async fn read(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::from_request_parts(parts, state).await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RecordPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiPath((kind, id)) =
            ApiPath::<(String, String)>::from_request_parts(parts, state).await?;
        record_ref(&kind, &id).map(Self)
    }
}

/// A warning marker on a POLE record: `{kind}/{id}/markers/{number}`, markers numbered from 1.
pub struct MarkerPath(pub controlroom_domain::pole::RecordRef, pub u32);

impl<S: Send + Sync> FromRequestParts<S> for MarkerPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiPath((kind, id, number)) =
            ApiPath::<(String, String, String)>::from_request_parts(parts, state).await?;
        let record = record_ref(&kind, &id)?;
        let number = number.parse().map_err(|_| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "'{number}' is not a marker number; markers are numbered 1, 2, 3… on the record"
                ),
            )
        })?;
        Ok(Self(record, number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_and_list_in_a_body_is_bounded() {
        let long = "x".repeat(controlroom_domain::limits::ANY_TEXT + 1);
        let body = serde_json::json!({"caller": {"name": long}});
        let e = within_limits("", &body).unwrap_err();
        assert_eq!(e.field, "caller.name");
        assert_eq!(e.message, "at most 4,000 characters (4,001 given)");
        let body = serde_json::json!({"names": ["a", long]});
        assert_eq!(within_limits("", &body).unwrap_err().field, "names[1]");
        let many: Vec<u8> = vec![0; controlroom_domain::limits::ANY_LIST + 1];
        let e = within_limits("", &serde_json::json!({"times": many})).unwrap_err();
        assert_eq!(e.to_string(), "times: at most 500 items (501 given)");
        assert!(within_limits("", &serde_json::json!({"summary": "fine", "n": 3})).is_ok());
    }

    #[test]
    fn a_missing_query_parameter_is_named() {
        let e = query_problem("Failed to deserialize query string: missing field `area`");
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.problem.field.as_deref(), Some("area"));
        assert_eq!(e.problem.detail, "the query parameter 'area' is required");
    }

    #[test]
    fn an_unreadable_query_still_answers_422() {
        let e = query_problem("Failed to deserialize query string: invalid utf-8");
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.problem.field, None);
    }
}
